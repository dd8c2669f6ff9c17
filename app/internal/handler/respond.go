package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// errorBody is the JSON shape of every error: {"error": {"code": "...", "message": "..."}}.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Canonical header values, shared: net/http only reads them.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// appendJSONer is a value that encodes itself without reflection (model.User does).
type appendJSONer interface {
	AppendJSON([]byte) []byte
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	if a, ok := v.(appendJSONer); ok {
		bp := buffers.Get().(*[]byte)
		b := append(a.AppendJSON((*bp)[:0]), '\n')
		_, _ = w.Write(b)
		*bp = b
		buffers.Put(bp)
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	writeJSON(w, status, b)
}

// errBadBody is wrapped by every body decoding failure.
var errBadBody = errors.New("invalid body")

// decodeBody reads exactly one JSON object of at most limit bytes, rejecting unknown fields.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return decode(r.Body, dst)
}

// decode is the body decoder without the size limit (which needs a ResponseWriter); fuzz targets call it.
func decode(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: larger than %d bytes", errBadBody, tooBig.Limit)
		}
		return fmt.Errorf("%w: %v", errBadBody, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value", errBadBody)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: larger than %d bytes", errBadBody, tooBig.Limit)
		}
		return fmt.Errorf("%w: trailing data", errBadBody)
	}
	return nil
}
