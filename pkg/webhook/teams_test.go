package webhook

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	teamsAppID      = "8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11"
	teamsServiceURL = "https://smba.trafficmanager.net/amer/"
)

var (
	teamsKeyOnce sync.Once
	teamsKeys    [2]*rsa.PrivateKey
)

// teamsTestKeys returns two RSA keys, generated once per test binary.
func teamsTestKeys(t testing.TB) (signing, other *rsa.PrivateKey) {
	t.Helper()
	teamsKeyOnce.Do(func() {
		for i := range teamsKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			teamsKeys[i] = k
		}
	})
	return teamsKeys[0], teamsKeys[1]
}

func jwkJSON(kid string, pub *rsa.PublicKey) map[string]any {
	return map[string]any{
		"kty": "RSA", "use": "sig", "kid": kid,
		"n":            base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"endorsements": []string{"msteams"},
	}
}

// botFramework stands in for login.botframework.com on 127.0.0.1.
type botFramework struct {
	srv          *httptest.Server
	metadataHits atomic.Int32
	keysHits     atomic.Int32
	metadataDown atomic.Bool

	mu   sync.Mutex
	keys []map[string]any
}

func newBotFramework(t *testing.T) *botFramework {
	t.Helper()
	signing, _ := teamsTestKeys(t)
	bf := &botFramework{keys: []map[string]any{jwkJSON("k1", &signing.PublicKey)}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", func(w http.ResponseWriter, r *http.Request) {
		bf.metadataHits.Add(1)
		if bf.metadataDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                "https://api.botframework.com",
			"authorization_endpoint":                "https://invalid.botframework.com",
			"jwks_uri":                              bf.srv.URL + "/v1/.well-known/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		})
	})
	mux.HandleFunc("GET /v1/.well-known/keys", func(w http.ResponseWriter, r *http.Request) {
		bf.keysHits.Add(1)
		bf.mu.Lock()
		defer bf.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"keys": bf.keys})
	})
	bf.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(bf.srv.Close)
	return bf
}

func (bf *botFramework) addKey(kid string, pub *rsa.PublicKey) {
	bf.mu.Lock()
	defer bf.mu.Unlock()
	bf.keys = append(bf.keys, jwkJSON(kid, pub))
}

func (bf *botFramework) verifier(t *testing.T) *TeamsVerifier {
	t.Helper()
	v := NewTeamsVerifier(TeamsConfig{
		OpenIDMetadataURL: bf.srv.URL + "/v1/.well-known/openidconfiguration",
		HTTPClient:        bf.srv.Client(),
	})
	t.Cleanup(v.Close)
	return v
}

// teamsClaimsMap is what the Bot Framework connector puts in its tokens.
func teamsClaimsMap(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"serviceurl": teamsServiceURL,
		"nbf":        now.Add(-time.Minute).Unix(),
		"exp":        now.Add(time.Hour).Unix(),
		"iss":        "https://api.botframework.com",
		"aud":        teamsAppID,
	}
}

func signRS256(t testing.TB, key *rsa.PrivateKey, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTeamsVerify(t *testing.T) {
	bf := newBotFramework(t)
	v := bf.verifier(t)
	signing, other := teamsTestKeys(t)
	now := time.Now()

	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := teamsClaimsMap(now)
		change(c)
		return c
	}
	valid := signRS256(t, signing, "k1", teamsClaimsMap(now))

	none := jwt.NewWithClaims(jwt.SigningMethodNone, teamsClaimsMap(now))
	none.Header["kid"] = "k1"
	noneToken, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// HS256 keyed with the public key: the classic RS/HS confusion attack.
	pubDER, err := x509.MarshalPKIXPublicKey(&signing.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, teamsClaimsMap(now))
	hs.Header["kid"] = "k1"
	hsToken, err := hs.SignedString(pubDER)
	if err != nil {
		t.Fatal(err)
	}
	rs512 := jwt.NewWithClaims(jwt.SigningMethodRS512, teamsClaimsMap(now))
	rs512.Header["kid"] = "k1"
	rs512Token, err := rs512.SignedString(signing)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	payload := []byte(parts[1])
	payload[5] ^= 0x02
	tamperedToken := parts[0] + "." + string(payload) + "." + parts[2]

	tests := []struct {
		name       string
		auth       string
		appID      string
		serviceURL string
		want       error
	}{
		{"valid", "Bearer " + valid, teamsAppID, teamsServiceURL, nil},
		{"lower-case scheme", "bearer " + valid, teamsAppID, teamsServiceURL, nil},
		{"expired within leeway", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-4 * time.Minute).Unix() })), teamsAppID, teamsServiceURL, nil},
		{"camelCase serviceUrl claim", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { delete(c, "serviceurl"); c["serviceUrl"] = teamsServiceURL })), teamsAppID, teamsServiceURL, nil},
		{"expired beyond leeway", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-6 * time.Minute).Unix() })), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"no exp", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { delete(c, "exp") })), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"not yet valid", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Minute).Unix() })), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"wrong aud", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { c["aud"] = "another-bot" })), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"no aud", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { delete(c, "aud") })), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"wrong iss", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/tenant/" })), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"token for another app id", "Bearer " + valid, "another-bot", teamsServiceURL, ErrUnauthenticated},
		{"serviceurl mismatch", "Bearer " + valid, teamsAppID, "https://evil.example/", ErrUnauthenticated},
		{"serviceurl claim missing", "Bearer " + signRS256(t, signing, "k1", with(func(c jwt.MapClaims) { delete(c, "serviceurl") })), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"alg none", "Bearer " + noneToken, teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"HS256 keyed with the public key", "Bearer " + hsToken, teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"RS512", "Bearer " + rs512Token, teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"signed by another key, same kid", "Bearer " + signRS256(t, other, "k1", teamsClaimsMap(now)), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"unknown kid", "Bearer " + signRS256(t, other, "nope", teamsClaimsMap(now)), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"tampered payload", "Bearer " + tamperedToken, teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"missing header", "", teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"no scheme", valid, teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"basic scheme", "Basic " + valid, teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"empty bearer", "Bearer ", teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"garbage", "Bearer a.b.c", teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"oversized header", "Bearer " + strings.Repeat("a", 9000), teamsAppID, teamsServiceURL, ErrUnauthenticated},
		{"no app id configured", "Bearer " + valid, "", teamsServiceURL, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(context.Background(), tt.auth, tt.appID, tt.serviceURL)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify() = %v, want %v", err, tt.want)
			}
		})
	}
	if got := bf.metadataHits.Load(); got != 1 {
		t.Errorf("metadata fetched %d times, want 1 (cached after the first Verify)", got)
	}
}

func TestTeamsVerifierIsLazy(t *testing.T) {
	bf := newBotFramework(t)
	v := bf.verifier(t)
	if m, k := bf.metadataHits.Load(), bf.keysHits.Load(); m != 0 || k != 0 {
		t.Fatalf("NewTeamsVerifier made %d metadata and %d key requests, want none", m, k)
	}
	signing, _ := teamsTestKeys(t)
	tok := signRS256(t, signing, "k1", teamsClaimsMap(time.Now()))
	for range 3 {
		if err := v.Verify(context.Background(), "Bearer "+tok, teamsAppID, teamsServiceURL); err != nil {
			t.Fatalf("Verify() = %v", err)
		}
	}
	if m, k := bf.metadataHits.Load(), bf.keysHits.Load(); m != 1 || k != 1 {
		t.Errorf("after 3 verifications: %d metadata and %d key requests, want 1 and 1", m, k)
	}
}

func TestTeamsVerifierMetadataUnavailable(t *testing.T) {
	bf := newBotFramework(t)
	v := bf.verifier(t)
	signing, _ := teamsTestKeys(t)
	tok := signRS256(t, signing, "k1", teamsClaimsMap(time.Now()))

	bf.metadataDown.Store(true)
	err := v.Verify(context.Background(), "Bearer "+tok, teamsAppID, teamsServiceURL)
	if err == nil || errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("Verify() with metadata down = %v, want an error that is not ErrUnauthenticated (a 5xx, so the Bot Framework retries)", err)
	}
	// A failed fetch must not be cached.
	bf.metadataDown.Store(false)
	if err := v.Verify(context.Background(), "Bearer "+tok, teamsAppID, teamsServiceURL); err != nil {
		t.Fatalf("Verify() after metadata recovered = %v, want nil", err)
	}
}

func TestTeamsVerifierPicksUpRotatedKey(t *testing.T) {
	bf := newBotFramework(t)
	v := bf.verifier(t)
	signing, other := teamsTestKeys(t)
	now := time.Now()
	if err := v.Verify(context.Background(), "Bearer "+signRS256(t, signing, "k1", teamsClaimsMap(now)), teamsAppID, teamsServiceURL); err != nil {
		t.Fatalf("Verify(k1) = %v", err)
	}
	bf.addKey("k2", &other.PublicKey)
	if err := v.Verify(context.Background(), "Bearer "+signRS256(t, other, "k2", teamsClaimsMap(now)), teamsAppID, teamsServiceURL); err != nil {
		t.Fatalf("Verify(k2 published after the first fetch) = %v, want nil (unknown kid refreshes the key set)", err)
	}
}

func TestParseTeams(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Result
		wantErr error
	}{
		{
			name: "personal message",
			body: `{"text":"Hello bot","textFormat":"plain","type":"message","timestamp":"2024-05-01T10:00:00.000Z","localTimestamp":"2024-05-01T12:00:00.000+02:00","id":"1714557600000","channelId":"msteams","serviceUrl":"https://smba.trafficmanager.net/amer/","from":{"id":"29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw","name":"Megan Bowen","aadObjectId":"3a5c1b2e-0f6d-4b8e-9a7c-2d1e4f6a8b9c"},"conversation":{"conversationType":"personal","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","id":"a:1Kx2W3uGjJ0"},"recipient":{"id":"28:8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11","name":"Gatehouse"},"entities":[{"locale":"en-US","type":"clientInfo"}],"channelData":{"tenant":{"id":"72f988bf-86f1-41af-91ab-2d7cd011db47"}},"locale":"en-US"}`,
			want: Result{Messages: []Message{{
				Provider: "TEAMS", EventID: "1714557600000", SenderAddress: "3a5c1b2e-0f6d-4b8e-9a7c-2d1e4f6a8b9c", DisplayName: "Megan Bowen",
				ConversationID: "a:1Kx2W3uGjJ0", Text: "Hello bot", MessageID: "1714557600000",
				ServiceURL: "https://smba.trafficmanager.net/amer/", ReplyTo: "a:1Kx2W3uGjJ0",
			}}},
		},
		{
			name: "channel message with conversation name",
			body: `{"type":"message","id":"1714557600001","serviceUrl":"https://smba.trafficmanager.net/emea/","from":{"id":"29:x","name":"Ann","aadObjectId":"aad-1"},"conversation":{"isGroup":true,"conversationType":"channel","id":"19:abc@thread.tacv2;messageid=1714557600001","name":"General"},"text":"<at>Gatehouse</at> hi"}`,
			want: Result{Messages: []Message{{
				Provider: "TEAMS", EventID: "1714557600001", SenderAddress: "aad-1", DisplayName: "Ann",
				ConversationID: "19:abc@thread.tacv2;messageid=1714557600001", ConversationName: "General", Text: "<at>Gatehouse</at> hi",
				MessageID: "1714557600001", ServiceURL: "https://smba.trafficmanager.net/emea/", ReplyTo: "19:abc@thread.tacv2;messageid=1714557600001",
			}}},
		},
		{name: "conversationUpdate", body: `{"type":"conversationUpdate","id":"f:1","serviceUrl":"https://smba.trafficmanager.net/amer/","membersAdded":[{"id":"28:bot"}],"conversation":{"id":"a:1"}}`, want: Result{Ignored: true}},
		{name: "typing", body: `{"type":"typing","id":"2","serviceUrl":"https://s/","from":{"id":"29:x","aadObjectId":"aad-1"},"conversation":{"id":"a:1"}}`, want: Result{Ignored: true}},
		{name: "message without aad object id", body: `{"type":"message","id":"3","serviceUrl":"https://s/","from":{"id":"28:otherbot","name":"Bot"},"conversation":{"id":"a:1"},"text":"x"}`, want: Result{Ignored: true}},
		{name: "message without serviceUrl", body: `{"type":"message","id":"4","from":{"id":"29:x","aadObjectId":"aad-1"},"conversation":{"id":"a:1"},"text":"x"}`, wantErr: ErrMalformed},
		{name: "message without id", body: `{"type":"message","serviceUrl":"https://s/","from":{"id":"29:x","aadObjectId":"aad-1"},"conversation":{"id":"a:1"},"text":"x"}`, wantErr: ErrMalformed},
		{name: "no type", body: `{"id":"5"}`, wantErr: ErrMalformed},
		{name: "not json", body: `[`, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTeams([]byte(tt.body))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestTeamsServiceURL(t *testing.T) {
	got, err := TeamsServiceURL([]byte(`{"type":"conversationUpdate","serviceUrl":"https://smba.trafficmanager.net/amer/"}`))
	if err != nil || got != "https://smba.trafficmanager.net/amer/" {
		t.Errorf("TeamsServiceURL() = %q, %v; want the activity's serviceUrl", got, err)
	}
	if _, err := TeamsServiceURL([]byte(`nope`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("TeamsServiceURL(not json) error = %v, want ErrMalformed", err)
	}
}

func FuzzVerifyTeams(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJub25lIn0.e30.")
	f.Add("Bearer a.b.c")
	f.Add("bearer ")
	signing, _ := teamsTestKeys(f)
	f.Add("Bearer " + signRS256(f, signing, "k1", jwt.MapClaims{"aud": teamsAppID, "iss": "https://api.botframework.com"}))
	// One stand-in for the whole run, set up before f.Fuzz as F requires.
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/meta", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"jwks_uri": srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwkJSON("k1", &signing.PublicKey)}})
	})
	srv = httptest.NewServer(mux)
	f.Cleanup(srv.Close)
	v := NewTeamsVerifier(TeamsConfig{OpenIDMetadataURL: srv.URL + "/meta", HTTPClient: srv.Client()})
	f.Cleanup(v.Close)
	f.Fuzz(func(t *testing.T, auth string) {
		// Nothing the fuzzer can build is a validly signed token with exp.
		if err := v.Verify(context.Background(), auth, teamsAppID, teamsServiceURL); err == nil {
			t.Fatalf("Verify accepted a fuzzed authorization %q", auth)
		}
	})
}

func FuzzParseTeams(f *testing.F) {
	f.Add([]byte(`{"type":"message","id":"1","serviceUrl":"https://s/","from":{"id":"29:x","name":"A","aadObjectId":"aad"},"conversation":{"id":"a:1"},"text":"hi"}`))
	f.Add([]byte(`{"type":"message","from":null}`))
	f.Add([]byte(`{"type":"invoke","name":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseTeams(body)
		checkResultInvariants(t, res, err)
	})
}
