import Foundation
import KeywayContract
import KeywayCore
@testable import KeywayEmit
import KeywayHostileFixture
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayRuntime
import KeywayValidate
import KeywayFiles
import Testing

/// The input shapes real APIs use: query arrays (repeated or comma-joined), form bodies
/// with nested keys, string maps, bounds, patterns, dates.
@Suite("Rich inputs")
struct RichInputTests {
    /// The fixture connector with one more tool whose head and inputs are given.
    static func connector(_ inputs: String, method: String = "POST", extra: String = "") -> String {
        let inputs = inputs.split(separator: "\n").map { "      " + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        return Fixture.connector + """
          - name: things
            description: Things
            method: \(method)
            endpoint: /v1/things\(extra)
            input:
        \(inputs)
        """
    }

    @Test("every misuse of the new fields is an error at its key or value, with what to do")
    func misuse() {
        let dir = Fixture.folder(connector: Self.connector("""
            rows:  { type: array, items: { type: object, properties: { a: { type: string } } }, in: query }
            tags:  { type: array, items: { type: string }, in: header }
            one:   { type: string, optional: true, style: comma }
            two:   { type: array, items: { type: string }, in: query, optional: true, style: csv }
            low:   { type: string, optional: true, minimum: 1 }
            len:   { type: integer, optional: true, max_length: 3 }
            pat:   { type: integer, optional: true, pattern: "^a" }
            bad:   { type: string, optional: true, pattern: "([a-z]" }
            span:  { type: integer, optional: true, minimum: 10, maximum: 1 }
            neg:   { type: string, optional: true, min_length: -1 }
            dflt:  { type: integer, optional: true, default: 500, maximum: 100 }
            enums: { type: string, optional: true, enum: [ab, abcd], max_length: 3 }
            pd:    { type: string, optional: true, pattern: "^[a-z]+$", default: "A1" }
            both:  { type: object, values: { type: string }, properties: { a: { type: string } } }
            opt:   { type: object, values: { type: string, optional: true } }
            vs:    { type: string, optional: true, values: { type: string } }
            fl:    { type: number, optional: true, minimum: abc }
            int:   { type: integer, optional: true, maximum: 1.5 }
            csv:   { type: array, items: { type: string, enum: ["a,b", c] }, in: query, optional: true, style: comma }
            mz:    { type: number, optional: true, multiple_of: 0 }
            ms:    { type: string, optional: true, multiple_of: 2 }
            md:    { type: integer, optional: true, multiple_of: 5, default: 12, enum: [10, 11] }
            """))
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "connectors/mail.yaml:19:7: error: input 'rows' is an array of objects and cannot go in the query; use an array of strings, numbers or booleans, or in: body",
            "connectors/mail.yaml:20:7: error: input 'tags' is an array and cannot go in the header; use in: query (arrays) or in: body",
            "connectors/mail.yaml:21:53: error: 'style' applies to arrays in the query only",
            "connectors/mail.yaml:22:88: error: 'style' cannot be 'csv'; use one of: repeated, comma",
            "connectors/mail.yaml:23:46: error: 'minimum' applies to integers and numbers only; input 'low' is a string",
            "connectors/mail.yaml:24:47: error: 'max_length' applies to strings (characters) and arrays (items) only; input 'len' is an integer",
            "connectors/mail.yaml:25:47: error: 'pattern' applies to strings only; input 'pat' is an integer",
            "connectors/mail.yaml:26:55: error: 'pattern' is not a valid regular expression (expected ')'); fix it",
            "connectors/mail.yaml:27:56: error: 'minimum' is greater than 'maximum'; nothing could be sent",
            "connectors/mail.yaml:28:58: error: 'min_length' must be a whole number from 0 to 1000000000, found '-1'",
            "connectors/mail.yaml:29:56: error: the default is greater than 'maximum' (100)",
            "connectors/mail.yaml:30:57: error: this 'enum' value is longer than 'max_length' (3)",
            "connectors/mail.yaml:31:76: error: the default does not match 'pattern'",
            "connectors/mail.yaml:32:56: error: input 'both' has both 'values' (a map of any keys) and 'properties' (fixed keys); keep one",
            "connectors/mail.yaml:33:30: error: the values of a map cannot be optional; remove 'optional'",
            "connectors/mail.yaml:34:46: error: 'values' applies to objects only",
            "connectors/mail.yaml:35:55: error: 'minimum' must be a number, found 'abc'",
            "connectors/mail.yaml:36:56: error: 'maximum' must be an integer, found '1.5'",
            "connectors/mail.yaml:37:106: error: an 'enum' value of input 'csv' contains ',', which a comma-joined list would split in two; use style: repeated or change the value",
            "connectors/mail.yaml:38:59: error: 'multiple_of' must be greater than 0",
            "connectors/mail.yaml:39:46: error: 'multiple_of' applies to integers and numbers only; input 'ms' is a string",
            "connectors/mail.yaml:40:72: error: the default is not a multiple of 'multiple_of' (5)",
            "connectors/mail.yaml:40:72: error: the default is not one of the 'enum' values",
            "connectors/mail.yaml:40:87: error: this 'enum' value is not a multiple of 'multiple_of' (5)",
        ])
    }

    @Test("a whole number past 2^53 − 1 is refused where written; up to it, bounds, multiples and defaults are exact")
    func wholeNumbersPastExact() throws {
        let beyond = "is beyond ±9007199254740991 (2^53 − 1), where JSON numbers stop holding every whole number exactly (keyway would check and write a neighbour); keep it within, and put an identifier that large in a string input"
        let dir = Fixture.folder(connector: Self.connector("""
            a: { type: integer, optional: true, multiple_of: 9007199254740993, default: 9007199254740992 }
            b: { type: integer, optional: true, enum: [-9007199254740992, 9007199254740991] }
            c: { type: number, optional: true, maximum: 9007199254740993, minimum: -1e300 }
            d: { type: integer, optional: true, default: 9007199254740991, maximum: 9007199254740990 }
            e: { type: integer, optional: true, default: 9007199254740991, multiple_of: 2 }
            f: { type: integer, optional: true, maximum: 99999999999999999999 }
            g: { type: number, optional: true, minimum: 1e400 }
            h: { type: integer, optional: true, minimum: 5-3, maximum: +-5 }
            """))
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "connectors/mail.yaml:19:56: error: 'multiple_of' \(beyond)",
            "connectors/mail.yaml:19:83: error: 'default' \(beyond)",
            "connectors/mail.yaml:20:50: error: each value of 'enum' \(beyond)",
            "connectors/mail.yaml:21:51: error: 'maximum' \(beyond)",
            "connectors/mail.yaml:22:52: error: the default is greater than 'maximum' (9007199254740990.0)",
            "connectors/mail.yaml:23:52: error: the default is not a multiple of 'multiple_of' (2)",
            "connectors/mail.yaml:24:52: error: 'maximum' \(beyond)",
            "connectors/mail.yaml:25:51: error: 'minimum' is too large for a number (JSON numbers end near ±1.8e308); use a smaller value",
            "connectors/mail.yaml:26:52: error: 'minimum' must be an integer, found '5-3'",
            "connectors/mail.yaml:26:66: error: 'maximum' must be an integer, found '+-5'",
        ])
        // The runtime's check, exact for whole numbers of any size (2^53 + 2 is even; so is
        // every Double past 2^53), and within rounding for fractions.
        #expect(Constraint.multipleOf(2).violation(by: .number(9_007_199_254_740_991)) == "must be a multiple of 2")
        #expect(Constraint.multipleOf(2).violation(by: .number(9_007_199_254_740_994)) == nil)
        #expect(Constraint.multipleOf(3).violation(by: .number(1e17 + 8)) == "must be a multiple of 3")
        #expect(Constraint.multipleOf(0.1).violation(by: .number(0.3)) == nil)
    }

    @Test("encoding applies to bodies that keyway builds; brackets in a form body's wire name are the encoding's")
    func encodingMisuse() {
        let get = Fixture.folder(connector: Self.connector("q: { type: string }", method: "GET", extra: "\n    encoding: form"))
        #expect(Fixture.diagnostics(get).map(\.formatted) == [
            "connectors/mail.yaml:18:15: error: a GET request has no body to encode; remove 'encoding'",
        ])
        let custom = Fixture.folder(connector: Self.connector("q: { type: string }", extra: "\n    request: custom\n    encoding: form"))
        #expect(Fixture.diagnostics(custom).map(\.formatted) == [
            "connectors/mail.yaml:19:15: error: a custom request builds its own body; remove 'encoding'",
        ])
        let brackets = Fixture.folder(connector: Self.connector("tags: { type: array, items: { type: string }, wire: \"tags[]\" }", extra: "\n    encoding: form"))
        #expect(Fixture.diagnostics(brackets).map(\.formatted) == [
            "connectors/mail.yaml:20:59: error: in a form body the brackets come from the encoding (arrays as name[]=…, objects as name[key]=…); write wire: 'tags'",
        ])
        let misspelt = Fixture.folder(connector: Self.connector("q: { type: string }", extra: "\n    encoding: from"))
        #expect(Fixture.diagnostics(misspelt).map(\.formatted) == [
            "connectors/mail.yaml:18:15: error: 'encoding' cannot be 'from'; did you mean 'form'?",
        ])
    }

    @Test("every new field, used right, validates clean into the model")
    func wellFormed() throws {
        let dir = Fixture.folder(connector: Self.connector("""
            ids:      { type: array, items: { type: integer, minimum: 1 }, in: query, optional: true, wire: "ids[]", max_length: 5 }
            fields:   { type: array, items: { type: string }, in: query, optional: true, style: comma }
            day:      { type: string, format: date, in: query, optional: true }
            code:     { type: string, pattern: "^[A-Z]{3}$", min_length: 3, max_length: 3, default: EUR, optional: true }
            amount:   { type: number, minimum: 0.5, maximum: 1e6 }
            metadata: { type: object, values: { type: string, max_length: 500 }, optional: true }
            """, extra: "\n    encoding: form"))
        #expect(Fixture.diagnostics(dir) == [])
        let tool = try #require(dir.validate().catalog?.connectors[0].tools[1])
        #expect(tool.encoding == .form)
        #expect(tool.inputs.map { "\($0.name) \($0.placement.rawValue) \($0.style?.rawValue ?? "-") \($0.schema.type.name)" } == [
            "ids query - array", "fields query comma array", "day query - string", "code body - string", "amount body - number", "metadata body - object",
        ])
        #expect(tool.inputs[3].schema.constraints == [.minLength(3), .maxLength(3), .pattern("^[A-Z]{3}$")])
        #expect(tool.inputs[4].schema.constraints == [.minimum(0.5), .maximum(1_000_000)])
        #expect(tool.inputs[5].schema.type == .map(values: ValueSchema(.string(), constraints: [.maxLength(500)])))
    }

    @Test("a field's doc comment: its description (an empty one too), then what the contract says; the type when nothing is said")
    func docComments() {
        #expect(ToolsEmitter.doc(ValueSchema(.string())) == "string")
        #expect(ToolsEmitter.doc(ValueSchema(.string(), description: "")) == "")
        #expect(ToolsEmitter.doc(ValueSchema(.string(format: .email), description: "")) == " (format: email)")
        #expect(ToolsEmitter.doc(ValueSchema(.integer, description: "Count", optional: true, default: .integer(3),
                                             constraints: [.minimum(1)])) == "Count (minimum: 1) (default: 3)")
    }

    @Test("a pattern's verdict is its own spelling's: two spellings Swift holds equal are two patterns to a regular expression", arguments: [false, true])
    func patternSpellings(_ invalidFirst: Bool) throws {
        let valid = "[a-\u{E9}]", invalid = "[a-e\u{301}]"
        #expect(valid == invalid)
        for pattern in invalidFirst ? [invalid, valid] : [valid, invalid] {
            let verdict = Constraint.pattern(pattern).argumentProblem
            if pattern.utf8.elementsEqual(valid.utf8) {
                #expect(verdict == nil)
            } else {
                #expect(verdict?.hasPrefix("'pattern' is not a valid regular expression (") == true)
            }
        }
    }

    @Test("the JSON Schema says what the contract checks: bounds, pattern, date, maps")
    func schema() throws {
        let run = try KeywayRun.run(["tools", "--manifests", HostileFixtureTests.manifests])
        #expect(run.status == 0)
        let tools = try KeywayRuntime.JSONValue(json: Data(run.stdout.utf8))
        guard case .array(let list) = tools else { Issue.record("not a list"); return }
        let byName = Dictionary(uniqueKeysWithValues: list.compactMap { t -> (String, KeywayRuntime.JSONValue)? in
            guard case .string(let n)? = t["name"], let s = t["input_schema"] else { return nil }
            return (n, s)
        })
        #expect(byName["data_init"] == Data_.Init.inputSchema)
        #expect(byName["data_protocol"] == Data_.Protocol_.inputSchema)
        let properties = try #require(byName["data_init"]?["properties"])
        #expect(properties["ids"] == .object(["type": .string("array"), "maxItems": .number(3),
                                               "items": .object(["type": .string("integer"), "minimum": .number(-1), "maximum": .number(9)])]))
        #expect(properties["code"] == .object(["type": .string("string"), "minLength": .number(1), "maxLength": .number(64),
                                                "pattern": .string(##"^[a-z"\\]{2,}\(x\)$|"""#"##)]))
        #expect(properties["page"] == .object(["type": .string("integer"), "minimum": .number(0), "multipleOf": .number(25)]))
        #expect(properties["step"] == .object(["type": .string("number"), "multipleOf": .number(0.1), "default": .number(0.3)]))
        #expect(byName["data_protocol"]?["properties"]?["metadata"]?["additionalProperties"] == .object(["type": .string("string"), "maxLength": .number(500)]))
    }

    @Test("the generated contract refuses what the bounds, pattern, date and maps refuse, naming the field")
    func checks() {
        func failure(_ input: Data_.Init.Input) -> ToolFailure? {
            do { try Data_.Init.check(input); return nil } catch { return error }
        }
        #expect(failure(.init(ids: [1, 2, 3], fields: ["a\u{2028}b"], day: "2024-02-29", code: "ab\\(x)")) == nil)
        #expect(failure(.init(ids: [1, 2, 3, 4])) == .invalidInput(field: "ids", reason: "must have at most 3 items"))
        #expect(failure(.init(ids: [10])) == .invalidInput(field: "ids[]", reason: "must be at most 9"))
        #expect(failure(.init(ids: [-2])) == .invalidInput(field: "ids[]", reason: "must be at least -1"))
        #expect(failure(.init(fields: ["a"])) == .invalidInput(field: "fields[]", reason: "must be one of a\u{2028}b, */"))
        #expect(failure(.init(day: "2026-02-29")) == .invalidInput(field: "day", reason: "must be a date like 2026-01-31"))
        #expect(failure(.init(day: "2026-1-31")) == .invalidInput(field: "day", reason: "must be a date like 2026-01-31"))
        #expect(failure(.init(code: "")) == .invalidInput(field: "code", reason: "must be at least 1 characters long"))
        #expect(failure(.init(code: "AB(x)")) == .invalidInput(field: "code", reason: ##"must match the pattern ^[a-z"\\]{2,}\(x\)$|"""#"##))
        // JSON Schema patterns are not anchored: a match anywhere passes.
        #expect(failure(.init(code: ##"-"""#-"##)) == nil)
        #expect(failure(.init(code: String(repeating: "a", count: 65))) == .invalidInput(field: "code", reason: "must be at most 64 characters long"))
        // multiple_of: exact for whole numbers; within a binary fraction's rounding otherwise.
        #expect(failure(.init(page: 50, step: 0.3)) == nil)
        #expect(failure(.init(page: -25, step: 1e6)) == .invalidInput(field: "page", reason: "must be at least 0"))
        #expect(failure(.init(page: 30)) == .invalidInput(field: "page", reason: "must be a multiple of 25"))
        #expect(failure(.init(step: 0.35)) == .invalidInput(field: "step", reason: "must be a multiple of 0.1"))

        func formFailure(_ input: Data_.Protocol_.Input) -> ToolFailure? {
            do { try Data_.Protocol_.check(input); return nil } catch { return error }
        }
        #expect(formFailure(.init(metadata: ["k": String(repeating: "é", count: 500)], self_: ["a": .init(init_: 0.5)])) == nil)
        #expect(formFailure(.init(metadata: ["k": String(repeating: "é", count: 501)], self_: [:])) == .invalidInput(field: "metadata.*", reason: "must be at most 500 characters long"))
        #expect(formFailure(.init(self_: ["a": .init(init_: 0.25)])) == .invalidInput(field: "self.*.init", reason: "must be at least 0.5"))
    }

    @Test("query arrays reach the provider repeated or comma-joined, byte for byte")
    func queryArrays() async throws {
        let stub = try StubNango()
        let client = NangoClient(secretKey: "k", baseURL: stub.baseURL)
        let request = try Data_.Init.makeRequest(.init(ids: [1, 2], fields: ["*/", "*/"], day: "2026-02-28"))
        #expect(request.query.map { "\($0.name)=\($0.value)" } == ["day=2026-02-28", "fields\u{202E}=*/,*/", #"ids[]"\(x)=1"#, #"ids[]"\(x)=2"#])
        // An item holding the separator would reach the provider as two.
        #expect(throws: ToolFailure.invalidInput(field: "fields[]", reason: "must not contain ',' (the list is sent comma-joined)")) {
            try Data_.Init.makeRequest(.init(fields: ["a,b"]))  // the contract would refuse it first; makeRequest alone too
        }
        _ = try await client.proxy(request, connectionID: "c", providerConfigKey: "data")
        // Empty arrays send nothing, in either style.
        _ = try await client.proxy(try Data_.Init.makeRequest(.init(ids: [], fields: [])), connectionID: "c", providerConfigKey: "data")
        #expect(stub.requests.map(\.target) == [
            "/proxy/v1/init?day=2026-02-28&fields%E2%80%AE=%2A%2F,%2A%2F&ids%5B%5D%22%5C%28x%29=1&ids%5B%5D%22%5C%28x%29=2",
            "/proxy/v1/init",
        ])
        #expect(stub.requests[0].query.map { "\($0.0)=\($0.1)" } == ["day=2026-02-28", "fields\u{202E}=*/,*/", #"ids[]"\(x)=1"#, #"ids[]"\(x)=2"#])
    }

    @Test("a form body: nested keys in brackets, sorted, WHATWG-escaped, with its Content-Type through Nango's proxy")
    func formBody() async throws {
        let stub = try StubNango()
        let input = Data_.Protocol_.Input(metadata: ["order id": "A&B=1", "ü": "x+y z"], self_: ["k": .init(init_: 1.5), "j": .init(init_: 2)],
                                          expand: ["data.customer", "invoice"])
        let request = try Data_.Protocol_.makeRequest(input)
        let expected = "expand%22%29%3B%5B%5D=data.customer&expand%22%29%3B%5B%5D=invoice"
            + "&metadata%5Border+id%5D=A%26B%3D1&metadata%5B%C3%BC%5D=x%2By+z"
            + "&self%5Bj%5D%5Binit%5D=2&self%5Bk%5D%5Binit%5D=1.5"
        #expect(request.body.map { String(decoding: $0, as: UTF8.self) } == expected)
        _ = try await NangoClient(secretKey: "k", baseURL: stub.baseURL).proxy(request, connectionID: "c", providerConfigKey: "data")
        let sent = try #require(stub.requests.first)
        #expect(String(decoding: sent.body, as: UTF8.self) == expected)
        #expect(sent.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(sent.header("Nango-Proxy-Content-Type") == "application/x-www-form-urlencoded")
        // What a form parser reads back (Foundation's, standing in for the provider's).
        var parsed = URLComponents()
        parsed.percentEncodedQuery = expected.replacingOccurrences(of: "+", with: "%20")
        #expect((parsed.queryItems ?? []).map { "\($0.name)=\($0.value ?? "")" } == [
            #"expand");[]=data.customer"#, #"expand");[]=invoice"#, "metadata[order id]=A&B=1", "metadata[ü]=x+y z", "self[j][init]=2", "self[k][init]=1.5",
        ])
    }

    @Test("a form body with arrays of objects indexes them; an empty body still says it is a form")
    func formShapes() throws {
        let request = try ToolRequest.standard(method: .POST, endpoint: "/v1/x", input: .object([
            "items": .array([.object(["price": .string("p_1"), "quantity": .number(2)]), .object(["price": .string("p_2")])]),
            "flag": .bool(true), "none": .null, "empty": .array([]),
        ]), locations: ["items": .body, "flag": .body, "none": .body, "empty": .body], encoding: .form)
        #expect(request.body.map { String(decoding: $0, as: UTF8.self) } == "flag=true&items%5B0%5D%5Bprice%5D=p_1&items%5B0%5D%5Bquantity%5D=2&items%5B1%5D%5Bprice%5D=p_2")
        let empty = try ToolRequest.standard(method: .POST, endpoint: "/v1/x", input: .object([:]), locations: ["a": .body], encoding: .form)
        #expect(empty.body == Data() && empty.headers.map { "\($0.name): \($0.value)" } == ["Content-Type: application/x-www-form-urlencoded"])
    }
}
