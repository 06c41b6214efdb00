import Foundation

/// The checks generated `validate()` methods call: formats and allowed values.
public enum InputCheck {
    /// An addr-spec without display name, quotes or whitespace: one '@', a dotted domain.
    public static func email(_ value: String?, field: String) throws(ToolFailure) {
        guard let value else { return }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let ok = parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && value.count <= 254 && !value.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || "<>()[],;:\\\"".unicodeScalars.contains($0) }
        if !ok { throw .invalidInput(field: field, reason: "must be an email address like name@example.com") }
    }

    /// RFC 3339 date-time, with a time zone.
    public static func dateTime(_ value: String?, field: String) throws(ToolFailure) {
        guard let value else { return }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if formatter.date(from: value) == nil && fractional.date(from: value) == nil {
            throw .invalidInput(field: field, reason: "must be an RFC 3339 date-time like 2026-01-31T09:00:00Z")
        }
    }

    /// An absolute URI with a scheme.
    public static func uri(_ value: String?, field: String) throws(ToolFailure) {
        guard let value else { return }
        guard let url = URLComponents(string: value), let scheme = url.scheme, !scheme.isEmpty else {
            throw .invalidInput(field: field, reason: "must be an absolute URI like https://example.com/")
        }
    }

    public static func oneOf<T: Equatable>(_ value: T?, _ allowed: [T], field: String) throws(ToolFailure) {
        guard let value else { return }
        if !allowed.contains(value) { throw .invalidInput(field: field, reason: "must be one of \(allowed.map { "\($0)" }.joined(separator: ", "))") }
    }

    /// RFC 3339 full-date: `YYYY-MM-DD`, a day that exists.
    public static func date(_ value: String?, field: String) throws(ToolFailure) {
        guard let value else { return }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        let digits = parts.map { $0.utf8.allSatisfy { (48...57).contains($0) } }
        if parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2, !digits.contains(false),
           let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m) {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
            if (1...days).contains(d) { return }
        }
        throw .invalidInput(field: field, reason: "must be a date like 2026-01-31")
    }

    /// `min_length`/`max_length` of a string, in characters as JSON Schema counts them
    /// (Unicode code points).
    public static func length(_ value: String?, min: Int?, max: Int?, field: String) throws(ToolFailure) {
        guard let value else { return }
        let n = value.unicodeScalars.count
        if let min, n < min { throw .invalidInput(field: field, reason: "must be at least \(min) characters long") }
        if let max, n > max { throw .invalidInput(field: field, reason: "must be at most \(max) characters long") }
    }

    /// `min_length`/`max_length` of an array, in items.
    public static func count(_ count: Int?, min: Int?, max: Int?, field: String) throws(ToolFailure) {
        guard let count else { return }
        if let min, count < min { throw .invalidInput(field: field, reason: "must have at least \(min) item\(min == 1 ? "" : "s")") }
        if let max, count > max { throw .invalidInput(field: field, reason: "must have at most \(max) item\(max == 1 ? "" : "s")") }
    }

    public static func range(_ value: Int?, min: Double?, max: Double?, field: String) throws(ToolFailure) {
        try range(value.map(Double.init), min: min, max: max, field: field)
    }

    /// `minimum`/`maximum`, inclusive.
    public static func range(_ value: Double?, min: Double?, max: Double?, field: String) throws(ToolFailure) {
        guard let value else { return }
        func text(_ d: Double) -> String { d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d) }
        if let min, value < min { throw .invalidInput(field: field, reason: "must be at least \(text(min))") }
        if let max, value > max { throw .invalidInput(field: field, reason: "must be at most \(text(max))") }
    }

    /// `pattern`: the value contains a match (JSON Schema patterns are not anchored; write
    /// `^…$` to match the whole value). The manifest's pattern was checked by `keyway
    /// validate`; one that does not compile here refuses every value rather than none.
    public static func pattern(_ value: String?, _ pattern: String, field: String) throws(ToolFailure) {
        guard let value else { return }
        let matched: Bool
        do {
            matched = try Regex(pattern).firstMatch(in: value) != nil
        } catch {
            matched = false
        }
        if !matched { throw .invalidInput(field: field, reason: "must match the pattern \(pattern)") }
    }
}
