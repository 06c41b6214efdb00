import KeywayContract
import Testing

@Suite("What names a credential: one rule for the database lint (COL101) and the call log's redaction")
struct CredentialNameTests {
    @Test("fragments anywhere, whole names only whole, ASCII case, _ and - left out; the Kelvin sign is not a K")
    func names() {
        let names = [
            "token", "Refresh_Token", "next_page_token", "max_tokens", "client_secret", "PASSWD", "password_hash",
            "pass_word", "api_key", "API-Key", "apikey", "private_key", "credentials", "Authorization",
            "proxy-authorization", "Cookie", "set_cookie", "bearer", "pass",
            "passport", "bypass", "email", "author", "cookies_accepted", "api_\u{212A}ey", "tok_en_id", "",
        ]
        #expect(names.filter(CredentialName.matches) == [
            "token", "Refresh_Token", "next_page_token", "max_tokens", "client_secret", "PASSWD", "password_hash",
            "pass_word", "api_key", "API-Key", "apikey", "private_key", "credentials", "Authorization",
            "proxy-authorization", "Cookie", "set_cookie", "bearer", "pass", "tok_en_id",
        ])
    }
}
