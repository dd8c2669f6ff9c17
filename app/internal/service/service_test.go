package service

import (
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
)

// TestNicknameCategories: nicknames are judged by Unicode category, not by a list of a few code points, so
// every invisible, format and filler character is refused (each case names one), while names in any script
// and emoji, sequences included, are kept.
func TestNicknameCategories(t *testing.T) {
	refused := []struct{ name, nick, message string }{
		{"right-to-left override U+202E", "abc\u202Edef", nicknameInvisible},
		{"left-to-right override U+202D", "\u202Dabc", nicknameInvisible},
		{"right-to-left isolate U+2067", "ab\u2067c", nicknameInvisible},
		{"right-to-left mark U+200F", "ab\u200Fc", nicknameInvisible},
		{"arabic letter mark U+061C", "ab\u061Cc", nicknameInvisible},
		{"word joiner U+2060", "a\u2060b", nicknameInvisible},
		{"hangul filler U+3164 alone", "\u3164", nicknameInvisible},
		{"hangul filler U+3164 inside", "a\u3164b", nicknameInvisible},
		{"hangul choseong filler U+115F", "\u115F", nicknameInvisible},
		{"hangul jungseong filler U+1160", "a\u1160", nicknameInvisible},
		{"halfwidth hangul filler U+FFA0", "\uFFA0", nicknameInvisible},
		{"soft hyphen U+00AD", "a\u00ADb", nicknameInvisible},
		{"zero width joiner U+200D between letters", "a\u200Db", nicknameInvisible},
		{"zero width joiner U+200D alone", "\u200D", nicknameInvisible},
		{"zero width joiner U+200D after an emoji, before a letter", "\U0001F469\u200Db", nicknameInvisible},
		{"zero width non-joiner U+200C", "a\u200Cb", nicknameInvisible},
		{"zero width space U+200B", "a\u200Bb", nicknameInvisible},
		{"byte order mark U+FEFF", "\uFEFFab", nicknameInvisible},
		{"mongolian vowel separator U+180E", "a\u180Eb", nicknameInvisible},
		{"combining grapheme joiner U+034F", "a\u034Fb", nicknameInvisible},
		{"braille pattern blank U+2800", "\u2800", nicknameInvisible},
		{"tag character outside a flag", "a\U000E0067", nicknameInvisible},
		{"control U+0007", "a\u0007b", nicknameInvisible},
		{"tab", "a\tb", nicknameInvisible},
		{"line separator U+2028", "a\u2028b", nicknameInvisible},
		{"paragraph separator U+2029", "a\u2029b", nicknameInvisible},
		{"private use U+E000", "a\uE000", nicknameInvisible},
		{"unassigned U+0378", "a\u0378", nicknameInvisible},
		{"noncharacter U+FFFF", "a\uFFFF", nicknameInvisible},
		{"combining mark first", "\u0301a", nicknameMark},
		{"variation selector alone", "\uFE0F", nicknameMark},
		{"combining mark after a space", "a \u0301", nicknameMark},
		{"empty", "", "must not be empty"},
		{"too long", strings.Repeat("长", 33), "must be at most 32 characters"},
		{"invalid UTF-8", "a\xffb", "is not valid UTF-8"},
	}
	for _, tt := range refused {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			err := ValidateNickname(NormalizeNickname(tt.nick))
			v, ok := IsValidation(err)
			if !ok || v.Field != "nickname" || v.Message != tt.message {
				t.Errorf("ValidateNickname(%+q) = %v, want %q", tt.nick, err, tt.message)
			}
		})
	}
	accepted := []struct{ name, nick string }{
		{"chinese and an emoji", "小红 🌸"},
		{"latin with a diaeresis", "Zoë"},
		{"arabic", "علي"},
		{"devanagari with marks", "नमस्ते"},
		{"thai with marks", "สวัสดี"},
		{"korean", "김민수"},
		{"ideographic space inside", "小\u3000红"},
		{"punctuation only", "..."},
		{"woman technologist (ZWJ sequence)", "\U0001F469\u200D\U0001F4BB"},
		{"family (two joiners)", "\U0001F468\u200D\U0001F469\u200D\U0001F467"},
		{"rainbow flag (variation selector, joiner)", "\U0001F3F3\uFE0F\u200D\U0001F308"},
		{"skin tone then joiner", "\U0001F469\U0001F3FD\u200D\U0001F4BB"},
		{"red heart (variation selector)", "\u2764\uFE0F"},
		{"keycap (enclosing mark)", "1\uFE0F\u20E3"},
		{"flag of England (tag sequence)", "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"},
		{"an emoji newer than the tables", "\U0001FAE9"},
	}
	for _, tt := range accepted {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			if err := ValidateNickname(NormalizeNickname(tt.nick)); err != nil {
				t.Errorf("ValidateNickname(%+q) = %v", tt.nick, err)
			}
		})
	}
}

// TestNicknameIsStoredNormalised: a decomposed name is stored composed (NFC), trimmed, so the same name is one
// string however the client's keyboard produced it.
func TestNicknameIsStoredNormalised(t *testing.T) {
	repo := repository.NewMemory()
	u, _, _ := repo.UpsertByOpenID(context.Background(), "o", "")
	s := &Users{Repo: repo}
	decomposed := "  Zoe\u0308 Jose\u0301 "
	got, err := s.Update(context.Background(), u.ID, model.UserUpdate{Nickname: &decomposed})
	if err != nil {
		t.Fatal(err)
	}
	if got.Nickname != "Zoë José" || len(got.Nickname) != len("Zo\u00eb Jos\u00e9") {
		t.Errorf("stored %+q, want the NFC form %+q", got.Nickname, "Zo\u00eb Jos\u00e9")
	}
}

// FuzzNickname: validation never panics, and an accepted nickname is NFC, non-blank, at most 32 characters, and
// holds no control, private-use or default-ignorable character, and no format character but the joiners and tags
// of emoji sequences.
func FuzzNickname(f *testing.F) {
	for _, seed := range []string{"小红 🌸", "\u202Eabc", "\u3164", "a\u200Db", "\U0001F469\u200D\U0001F4BB", "\U0001F3F4\U000E0067\U000E007F", "\u0301", "Zoe\u0308", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n := NormalizeNickname(raw)
		if ValidateNickname(n) != nil {
			return
		}
		if !norm.NFC.IsNormalString(n) || n == "" || utf8.RuneCountInString(n) > MaxNicknameRunes {
			t.Fatalf("accepted %+q", n)
		}
		for _, r := range n {
			if unicode.In(r, unicode.Cc, unicode.Co, unicode.Other_Default_Ignorable_Code_Point) ||
				unicode.Is(unicode.Cf, r) && r != zeroWidthJoiner && (r < tagFirst || r > tagLast) {
				t.Fatalf("accepted %+q with %U", n, r)
			}
		}
	})
}
