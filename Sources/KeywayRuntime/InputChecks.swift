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
}
