import Foundation

/// A constraint an input's value must meet beyond its type: the one table of them. Each
/// constraint is a case here, with everything about it in this file: its manifest key,
/// the types it applies to, the kind of argument it takes, its JSON Schema keyword, the
/// check arguments must pass and the words that say it. The validator, the generated
/// Swift, `keyway mcp`, the JSON Schema writer, `tools lint` and `tools import` read
/// constraints through this table only (the generator's own words about them are in
/// `ConstraintRules.swift` of KeywayModel; how an OpenAPI document spells them, in
/// KeywayOpenAPI's `SpecSchema`).
public enum Constraint: Sendable, Hashable {
    /// `minimum`: the value is at least this (integers, numbers).
    case minimum(Double)
    /// `maximum`: the value is at most this (integers, numbers).
    case maximum(Double)
    /// `min_length`: at least this many characters (strings, counted as Unicode scalars,
    /// as JSON Schema counts them) or items (arrays).
    case minLength(Int)
    /// `max_length`: at most this many characters or items.
    case maxLength(Int)
    /// `pattern`: the string contains a match of this ECMA-262 regular expression (JSON
    /// Schema's rule: unanchored; write `^…$` to match the whole value).
    case pattern(String)
    /// `multiple_of`: the value divided by this (greater than 0) is a whole number.
    case multipleOf(Double)

    /// The manifest key of each constraint; the order of the cases is the order in which
    /// constraints are checked, listed and written.
    public enum Key: String, Sendable, CaseIterable {
        case minimum
        case maximum
        case minLength = "min_length"
        case maxLength = "max_length"
        case pattern
        case multipleOf = "multiple_of"

        public var order: Int { Self.allCases.firstIndex(of: self)! }

        /// What the argument is.
        public var argument: Argument {
            switch self {
            case .minimum, .maximum, .multipleOf: .bound
            case .minLength, .maxLength: .count
            case .pattern: .regularExpression
            }
        }

        /// The types the constraint applies to.
        public func applies(to type: ValueType) -> Bool {
            switch (self, type) {
            case (.minimum, .integer), (.minimum, .number), (.maximum, .integer), (.maximum, .number),
                 (.multipleOf, .integer), (.multipleOf, .number):
                true
            case (.minLength, .string), (.minLength, .array), (.maxLength, .string), (.maxLength, .array):
                true
            case (.pattern, .string):
                true
            default:
                false
            }
        }

        /// The types it applies to, in words: "integers and numbers".
        public var appliesTo: String {
            switch self {
            case .minimum, .maximum, .multipleOf: "integers and numbers"
            case .minLength, .maxLength: "strings (characters) and arrays (items)"
            case .pattern: "strings"
            }
        }
    }

    /// The kinds of argument a constraint takes.
    public enum Argument: Sendable {
        /// A number of the input's own type (an integer for an integer input).
        case bound
        /// A whole number of characters or items, 0 to 1,000,000,000.
        case count
        /// A regular expression (JSON Schema's dialect, read by Swift's `Regex`).
        case regularExpression
    }

    public var key: Key {
        switch self {
        case .minimum: .minimum
        case .maximum: .maximum
        case .minLength: .minLength
        case .maxLength: .maxLength
        case .pattern: .pattern
        case .multipleOf: .multipleOf
        }
    }

    /// The argument as a literal: a number, a count or a string.
    public var argument: LiteralValue {
        switch self {
        case .minimum(let d), .maximum(let d), .multipleOf(let d): .number(d)
        case .minLength(let n), .maxLength(let n): .integer(Int64(n))
        case .pattern(let p): .string(p)
        }
    }

    /// The constraint of `key` with `argument` (as `argument` returns it); nil when the
    /// argument is not of the key's kind.
    public init?(_ key: Key, _ argument: LiteralValue) {
        switch (key.argument, argument) {
        case (.bound, _):
            guard let d = argument.number else { return nil }
            switch key {
            case .minimum: self = .minimum(d)
            case .maximum: self = .maximum(d)
            case .multipleOf: self = .multipleOf(d)
            default: return nil
            }
        case (.count, .integer(let i)):
            guard let n = Int(exactly: i) else { return nil }
            self = key == .minLength ? .minLength(n) : .maxLength(n)
        case (.regularExpression, .string(let p)):
            self = .pattern(p)
        default:
            return nil
        }
    }

    /// The JSON Schema keyword and value for an input of `type`.
    public func jsonSchema(for type: ValueType) -> (keyword: String, value: JSONValue) {
        let isArray = if case .array = type { true } else { false }
        return switch self {
        case .minimum(let d): ("minimum", .number(d))
        case .maximum(let d): ("maximum", .number(d))
        case .minLength(let n): (isArray ? "minItems" : "minLength", .number(Double(n)))
        case .maxLength(let n): (isArray ? "maxItems" : "maxLength", .number(Double(n)))
        case .pattern(let p): ("pattern", .string(p))
        case .multipleOf(let d): ("multipleOf", .number(d))
        }
    }

    /// What the constraint says, as the generated Swift's doc comments write it:
    /// `(minimum: 1)`, `(at most 80 characters)`.
    public func summary(for type: ValueType) -> String {
        let unit = if case .array = type { " items" } else { " characters" }
        return switch self {
        case .minimum(let d): "(minimum: \(JSONNumber.text(d)))"
        case .maximum(let d): "(maximum: \(JSONNumber.text(d)))"
        case .minLength(let n): "(at least \(n)\(unit))"
        case .maxLength(let n): "(at most \(n)\(unit))"
        case .pattern(let p): "(pattern: \(p))"
        case .multipleOf(let d): "(multiple of \(JSONNumber.text(d)))"
        }
    }

    /// Why `value` breaks the constraint (the reason of `ToolFailure.invalidInput`), or
    /// nil. `value` is of a type the constraint applies to; any other passes.
    public func violation(by value: JSONValue) -> String? {
        switch (self, value) {
        case (.minimum(let least), .number(let d)):
            return d < least ? "must be at least \(JSONNumber.text(least))" : nil
        case (.maximum(let most), .number(let d)):
            return d > most ? "must be at most \(JSONNumber.text(most))" : nil
        case (.minLength(let least), .string(let s)):
            return s.unicodeScalars.count < least ? "must be at least \(least) characters long" : nil
        case (.maxLength(let most), .string(let s)):
            return s.unicodeScalars.count > most ? "must be at most \(most) characters long" : nil
        case (.minLength(let least), .array(let items)):
            return items.count < least ? "must have at least \(least) item\(least == 1 ? "" : "s")" : nil
        case (.maxLength(let most), .array(let items)):
            return items.count > most ? "must have at most \(most) item\(most == 1 ? "" : "s")" : nil
        case (.pattern(let pattern), .string(let s)):
            // The manifest's pattern was checked by `keyway validate`; one that does not
            // compile here refuses every value rather than none.
            let matched = (try? Regex(pattern)).flatMap { try? $0.firstMatch(in: s) } != nil
            return matched ? nil : "must match the pattern \(pattern)"
        case (.multipleOf(let step), .number(let d)):
            return Self.isMultiple(d, of: step) ? nil : "must be a multiple of \(JSONNumber.text(step))"
        default:
            return nil
        }
    }

    /// Whether `value` is a whole multiple of `step` (> 0): exactly for whole numbers (the
    /// remainder of two Doubles is exact at any size), and within the rounding error of a
    /// binary fraction otherwise (0.3 is a multiple of 0.1).
    package static func isMultiple(_ value: Double, of step: Double) -> Bool {
        guard value.isFinite, step.isFinite, step > 0 else { return false }
        if value.rounded() == value, step.rounded() == step { return value.truncatingRemainder(dividingBy: step) == 0 }
        let quotient = value / step
        return abs(quotient - quotient.rounded()) <= 1e-9 * max(1, abs(quotient))
    }
}

extension StringFormat {
    /// Why `value` is not of the format (the reason of `ToolFailure.invalidInput`), or nil.
    public func violation(by value: String) -> String? {
        switch self {
        case .email:
            // An addr-spec without display name, quotes or whitespace: one '@', a dotted domain.
            let parts = value.split(separator: "@", omittingEmptySubsequences: false)
            let ok = parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
                && value.count <= 254 && !value.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || "<>()[],;:\\\"".unicodeScalars.contains($0) }
            return ok ? nil : "must be an email address like name@example.com"
        case .dateTime:
            // RFC 3339, with a time zone.
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: value) == nil && fractional.date(from: value) == nil
                ? "must be an RFC 3339 date-time like 2026-01-31T09:00:00Z" : nil
        case .date:
            // RFC 3339 full-date: `YYYY-MM-DD`, a day that exists.
            let parts = value.split(separator: "-", omittingEmptySubsequences: false)
            let digits = parts.map { $0.utf8.allSatisfy { (48...57).contains($0) } }
            if parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2, !digits.contains(false),
               let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m) {
                let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
                let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
                if (1...days).contains(d) { return nil }
            }
            return "must be a date like 2026-01-31"
        case .uri:
            // An absolute URI with a scheme.
            guard let url = URLComponents(string: value), let scheme = url.scheme, !scheme.isEmpty else {
                return "must be an absolute URI like https://example.com/"
            }
            return nil
        }
    }
}

public enum StringFormat: String, Sendable, CaseIterable {
    case email
    case dateTime = "date-time"
    /// A calendar date, `YYYY-MM-DD` (RFC 3339 full-date).
    case date
    case uri
}
