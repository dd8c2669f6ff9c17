package handler_test

import (
	"context"
	"fmt"
	"testing"
)

// TestNicknamesRefuseInvisibleCharacters: the characters of the report (a direction override, a word joiner, the
// Hangul filler, a soft hyphen, a zero width joiner between letters) are refused through the API, alone (where
// several render as a blank name) and inside a name; the stored name is left as it was.
func TestNicknamesRefuseInvisibleCharacters(t *testing.T) {
	e := newEnv(t)
	tok, me := e.login("nick")
	if r := e.do("PUT", "/api/v1/users/me", tok, `{"nickname":"before"}`); r.status != 200 {
		t.Fatalf("setting a nickname: %d %s", r.status, r.body)
	}
	for _, c := range []rune{'\u202E', '\u2060', '\u3164', '\u00AD', '\u200D'} {
		for _, nick := range []string{string(c), "a" + string(c) + "b", string(c) + string(c) + string(c)} {
			t.Run(fmt.Sprintf("%U in %+q", c, nick), func(t *testing.T) {
				r := e.do("PUT", "/api/v1/users/me", tok, fmt.Sprintf(`{"nickname":%+q}`, nick))
				if r.status != 400 || errorCode(t, r.body) != "invalid_nickname" {
					t.Errorf("PUT nickname %+q = %d %s", nick, r.status, r.body)
				}
			})
		}
	}
	if u, _ := e.repo.Get(context.Background(), me.ID); u.Nickname != "before" {
		t.Errorf("stored nickname = %+q", u.Nickname)
	}
}
