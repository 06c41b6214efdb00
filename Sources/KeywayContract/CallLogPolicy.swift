/// What a call log keeps of a tool's calls beyond who called what and how it ended
/// (`log:` in the tool's manifest): nothing unless the tool opts in; then the arguments,
/// the answer, or both, each redacted and at most `maxBytes` of JSON. Read by the
/// generated Swift (a literal), `keyway mcp` and the `ToolExecutor` that records a call.
public struct CallLogPolicy: Sendable, Equatable, Hashable {
    /// Keep the model's arguments.
    public var arguments: Bool
    /// Keep the provider's answer (successful calls only).
    public var response: Bool
    /// The most JSON kept of either, in bytes; a larger value is kept as its size alone.
    public var maxBytes: Int

    public static let defaultMaxBytes = 8_192
    /// What `max_bytes` may be: a row of the log stays small.
    public static let maxBytesRange = 256...65_536
    /// Keep neither (the default).
    public static let none = CallLogPolicy(arguments: false, response: false)

    public init(arguments: Bool, response: Bool, maxBytes: Int = defaultMaxBytes) {
        self.arguments = arguments
        self.response = response
        self.maxBytes = maxBytes
    }

    /// What the log keeps of a value: `redacted(value)`, or when that is longer than
    /// `maxBytes` as JSON, `{"keyway:truncated": {"bytes": …, "max_bytes": …}}`.
    public func kept(_ value: JSONValue) -> JSONValue {
        let redacted = Self.redacted(value)
        let bytes = redacted.jsonData.count
        if bytes <= maxBytes { return redacted }
        return .object(["keyway:truncated": .object(["bytes": .number(Double(bytes)), "max_bytes": .number(Double(maxBytes))])])
    }

    /// The value with what may be a credential replaced: the value of a key that names one
    /// (``CredentialName``: `password`, `access_token`, `api_key`, `Authorization`, any key
    /// holding `token` or `secret`) becomes `[redacted]`; a string the secret scanner
    /// recognises becomes `[redacted: <what it looks like>]`, and so does such a key. One
    /// pass, linear.
    public static func redacted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text):
            return SecretScanner.looksLikeSecret(text).map { .string("[redacted: \($0)]") } ?? value
        case .array(let items):
            return .array(items.map(redacted))
        case .object(let object):
            var out: [String: JSONValue] = [:]
            for key in object.keys.sorted() {
                let item = object[key]!
                if let kind = SecretScanner.looksLikeSecret(key) {
                    out["[redacted key \(out.count): \(kind)]"] = .string("[redacted]")
                } else {
                    out[key] = CredentialName.matches(key) ? .string("[redacted]") : redacted(item)
                }
            }
            return .object(out)
        case .number, .bool, .null:
            return value
        }
    }
}
