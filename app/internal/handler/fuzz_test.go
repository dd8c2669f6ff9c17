package handler

import (
	"errors"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
)

// FuzzLoginBody: decoding never panics; anything accepted is a single object whose code passes or fails
// validation cleanly.
func FuzzLoginBody(f *testing.F) {
	for _, seed := range []string{`{"code":"abc"}`, `{"code":""}`, `{}`, `[]`, `{"code":"a"}{"code":"b"}`, `{"code":1}`, "\x00", `{"code":"\u0000"}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req loginRequest
		err := decode(strings.NewReader(body), &req)
		if err != nil && !errors.Is(err, errBadBody) {
			t.Fatalf("unexpected error type: %v", err)
		}
	})
}

// FuzzUpdateBody: decoding and validation never panic, and accepted nicknames respect the limits.
func FuzzUpdateBody(f *testing.F) {
	for _, seed := range []string{`{"nickname":"小明"}`, `{"avatarUrl":"https://a.b/c"}`, `{"nickname":"` + strings.Repeat("x", 40) + `"}`, `{"nickname":null}`, `{"nickname":"\ud800"}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req updateRequest
		if err := decode(strings.NewReader(body), &req); err != nil {
			return
		}
		if req.Nickname != nil {
			n := strings.TrimSpace(*req.Nickname)
			if service.ValidateNickname(n) == nil && (n == "" || len([]rune(n)) > service.MaxNicknameRunes) {
				t.Fatalf("accepted nickname %q", n)
			}
		}
		if req.AvatarURL != nil && service.ValidateAvatarURL(*req.AvatarURL) == nil && !strings.HasPrefix(*req.AvatarURL, "https://") {
			t.Fatalf("accepted avatar %q", *req.AvatarURL)
		}
	})
}
