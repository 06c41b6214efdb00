import Testing
@testable import KeywayModel
@testable import KeywayValidate

/// The endpoint rules and placeholder scan run on every tool, over bytes for an ASCII
/// endpoint and over characters otherwise: a table of verdicts, and random ASCII endpoints
/// on which both ways must agree.
@Suite("Endpoint rules: the same verdicts over bytes and over characters")
struct EndpointRulesTests {
    static let verdicts: [(endpoint: String, problem: String?)] = [
        ("/v1/items/{itemId}", nil),
        ("/v1/{a}/{b.c-d_e}", nil),
        ("v1/items", "the endpoint must start with '/' (a path on the provider's API, like /gmail/v1/users/me/messages)"),
        ("/v1/./items", "the endpoint must not contain '.' or '..' segments"),
        ("/v1/items/..", "the endpoint must not contain '.' or '..' segments"),
        ("/v1/.../items/.x", nil),
        ("/v1/%2E%2e/items", "the endpoint must not contain encoded dots or slashes, or backslashes: they can climb out of the API's path"),
        ("/v1/a`b", "the endpoint must not contain '`': a URL's path holds it only percent-encoded; write %60"),
        ("/v1/{id}|x\"<", "the endpoint must not contain '|': a URL's path holds it only percent-encoded; write %7C"),
        ("/v1/a^b/$c", "the endpoint must not contain '^': a URL's path holds it only percent-encoded; write %5E"),
        ("/v1/a%60b/$c;d=e", nil),
        ("/v1/{a{b}}", "the endpoint has a '{' inside a placeholder"),
        ("/v1/a}", "the endpoint has a '}' without '{'"),
        ("/v1/{9a}", "placeholder '{9a}' must be an input name (^[A-Za-z_][A-Za-z0-9_.-]{0,63}$)"),
        ("/v1/{}", "placeholder '{}' must be an input name (^[A-Za-z_][A-Za-z0-9_.-]{0,63}$)"),
        ("/v1/{a}/{a}", "the endpoint names the same placeholder twice"),
        // A repeated name is reported only when nothing else is wrong, as before.
        ("/v1/{a}/{a}/{b", "the endpoint has a '{' that is never closed"),
        ("/v1/{a}/{a}/{9}", "placeholder '{9}' must be an input name (^[A-Za-z_][A-Za-z0-9_.-]{0,63}$)"),
        // Not ASCII: the scan of characters.
        ("/v1/café/{id}", nil),
        ("/v1/é/{id}/{id}", "the endpoint names the same placeholder twice"),
        ("/v1/{é}", "placeholder '{é}' must be an input name (^[A-Za-z_][A-Za-z0-9_.-]{0,63}$)"),
    ]

    @Test("endpointProblem: every endpoint's verdict")
    func table() {
        #expect(Self.verdicts.map { NodeReader.endpointProblem($0.endpoint) } == Self.verdicts.map(\.problem))
        #expect(Tool.placeholders(in: "/v1/{a}/x/{b}/{a") == ["a", "b"])
        #expect(Tool.placeholders(in: "/v1/{é}/{a{b}/c}") == ["é", "b"])
    }

    @Test("random endpoints reach every placeholder verdict, and no other")
    func everyVerdict() {
        var r = TemplateEngineTests.Random(state: 20_261_204)
        let pieces = ["/", "/", ".", "..", "{", "}", "a", "b", "_", "9", "-", "x.y", "{a}", "{b}", "%2e", "é", "\u{301}"]
        let kinds = ["inside a placeholder", "without '{'", "must be an input name", "same placeholder twice", "never closed"]
        var reached = Set<String>()
        for _ in 0..<20_000 {
            let endpoint = (0..<r.int(10)).map { _ in r.pick(pieces) }.joined()
            let problem = NodeReader.placeholderProblem(endpoint)
            // A verdict without a problem names the endpoint's placeholders, each an input name, once.
            if problem == nil {
                let names = Tool.placeholders(in: endpoint)
                #expect(Set(names).count == names.count, "\(endpoint)")
            }
            reached.insert(problem.map { problem in kinds.first { problem.contains($0) } ?? problem } ?? "none")
        }
        #expect(reached == Set(kinds + ["none"]))
    }
}
