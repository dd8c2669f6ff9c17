package model

import (
	"encoding/json"
	"testing"
	"time"
)

// TestAppendJSONMatchesEncodingJSON: the hand-written encoder produces exactly what encoding/json produces from
// the field tags, for plain and awkward strings.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	type plain struct {
		ID        int64     `json:"id"`
		Nickname  string    `json:"nickname"`
		AvatarURL string    `json:"avatarUrl"`
		CreatedAt time.Time `json:"createdAt"`
		UpdatedAt time.Time `json:"updatedAt"`
	}
	at := time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.UTC)
	for _, nick := range []string{"", "bob", "小明 🚀", `quote " and \ back`, "<script>&", "tab\tnew\nline", "bad \xff utf8", "\u2028"} {
		u := User{ID: 42, OpenID: "hidden", Nickname: nick, AvatarURL: "https://a.example/x?y=1&z=2", CreatedAt: at, UpdatedAt: at.Add(time.Second)}
		want, _ := json.Marshal(plain{u.ID, u.Nickname, u.AvatarURL, u.CreatedAt, u.UpdatedAt})
		if got := string(u.AppendJSON(nil)); got != string(want) {
			t.Errorf("nickname %q:\n got %s\nwant %s", nick, got, want)
		}
		if viaEncoder, _ := json.Marshal(u); string(viaEncoder) != string(want) {
			t.Errorf("json.Marshal(User) = %s", viaEncoder)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	u := User{ID: 42, Nickname: "小明", AvatarURL: "https://thirdwx.qlogo.cn/x/132", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = u.AppendJSON(buf[:0])
	}
}
