import Testing
@testable import KeywayValidate
import KeywayContract

/// The credential shapes, value by value: what each is called, or nothing. Every scalar of
/// every manifest goes through these checks, so they work on bytes with fast paths; the
/// table pins what the fast paths must not change.
@Suite("Secret scanner and value checks: the whole verdict, value by value")
struct SecretScannerTests {
    static let values: [(value: String, kind: String?)] = [
        // Prefixes: at a token's start, after '=', '/', '.', '+', and at a '-'.
        ("sk_live_abcdefgh12345678", "a Stripe secret key"),
        ("key=sk_test_abcdefgh12345678", "a Stripe secret key"),
        ("https://x.example/xoxb-12345678-abcdefgh", "a Slack bot token"),
        ("token.ghp_abcdefghijklmnopqrstuvwxyz", "a GitHub token"),
        ("a+AKIAABCDEFGHIJKLMNOP", "an AWS access key"),
        ("prefix-----BEGIN PRIVATE KEY-----", "a PEM private key or certificate"),
        ("ya29.abcdefghijklmnopqrst", "a Google access token"),
        // A prefix inside a part does not count, nor one with too short a tail.
        ("notsk_live_abcdefgh12345678", nil),
        ("sk_live_abcdefg and more words", nil),
        ("ghp_abcdefghijklmnopqrs", nil),
        // JSON Web Tokens: three parts, the first two JSON objects, the first 10+ long.
        ("eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl", "a JSON Web Token"),
        ("eyJhbGci.eyJzdWIiOiIx.c2lnbmF0dXJl", nil),
        ("eyJhbGciOiJI.eyJzdWIiOiIx", nil),
        ("eyJhbGciOiJI.abJzdWIiOiIx.c2lnbmF0dXJl", nil),
        // Random-looking runs: 32+ characters between dots and slashes, of all three kinds.
        ("aB3" + String(repeating: "x", count: 29), "a random-looking token"),
        ("path/aB3" + String(repeating: "x", count: 29) + "/more", "a random-looking token"),
        ("aB3" + String(repeating: "x", count: 28), nil),
        ("ab3" + String(repeating: "x", count: 29), nil),
        ("aB3" + String(repeating: "x", count: 14) + "/" + String(repeating: "y", count: 16), nil),
        ("aB3" + String(repeating: "x", count: 14) + "." + String(repeating: "y", count: 16), nil),
        // Ordinary values.
        ("https://api.provider-00000.example.com/auth/read", nil),
        ("short", nil),
        ("Filter by status, open or closed", nil),
    ]

    @Test("looksLikeSecret: every value's verdict")
    func verdicts() {
        let found = Self.values.map { SecretScanner.looksLikeSecret($0.value) }
        #expect(found == Self.values.map(\.kind))
    }

    @Test("blank values: empty or white space only, ASCII or not")
    func blank() {
        let values = ["", " ", "\t\n", "\u{00A0}", "\u{3000} ", "a", " a", "\u{00A0}a", "é", "-"]
        #expect(values.map(NodeReader.isBlank) == [true, true, true, true, true, false, false, false, false, false])
    }

    @Test("control characters: ASCII and Unicode ones, format characters, line separators")
    func controlCharacters() {
        let values = ["Productivity", "tab\there", "bell\u{07}", "zero\u{200B}width", "line\u{2028}sep", "café ☕", "~!@#"]
        #expect(values.map(FormatRules.hasControlCharacters) == [false, true, true, true, true, false, false])
    }

    @Test("containsASCII: byte for byte, with and without case")
    func containsASCII() {
        #expect(["/a/%2E/b", "/a/%2e/b", "/a/.b", "%2", ""].map { $0.containsASCII("%2e") } == [false, true, false, false, false])
        #expect(["/a/%2E/b", "/a/%2e/b", "/a/.b", "%2", ""].map { $0.containsASCII("%2e", ignoringCase: true) } == [true, true, false, false, false])
        #expect("é//x".containsASCII("//") && !"é/x".containsASCII("//"))
    }
}
