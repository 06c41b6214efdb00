import Foundation

/// A JSON value: tool arguments, tool results, JSON Schemas.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n):
            if let whole = JSONNumber.whole(n) { try container.encode(whole) } else { try container.encode(n) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    /// Parses JSON bytes.
    public init(json data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Compact JSON with sorted keys: the same value always gives the same bytes.
    public var jsonData: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The value as it goes into a URL query or a header: strings as they are, numbers
    /// and booleans as JSON writes them.
    package var parameterText: String? {
        switch self {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number: String(decoding: jsonData, as: UTF8.self)
        case .null, .array, .object: nil
        }
    }
}

/// How keyway writes a number wherever a person or a parser reads it (JSON, the generated
/// Swift, messages): a whole number below 10^15 without a fraction (`3`, not `3.0`),
/// any other as Swift prints a `Double`. The one place this rule lives.
public enum JSONNumber {
    /// 2^53 − 1: up to it every whole number is a JSON number of its own (a Double);
    /// beyond it neighbours share one, so a manifest's whole numbers stay within it.
    public static let largestExactWhole: Int64 = 9_007_199_254_740_991

    /// The number as a whole `Int64`, when it is one that JSON writes without a fraction.
    public static func whole(_ d: Double) -> Int64? {
        d.rounded() == d && abs(d) < 1e15 ? Int64(d) : nil
    }

    public static func text(_ d: Double) -> String {
        whole(d).map { String($0) } ?? String(d)
    }
}
