import Foundation
import KeywayModel

/// keyway's one reporter: a run's diagnostics as text lines on standard error, or as one
/// JSON document on standard output (on standard error when standard output carries the
/// command's data).
public struct Reporter {
    public var format: OutputFormat
    public var toStandardError: Bool

    public init(format: OutputFormat, toStandardError: Bool = false) {
        self.format = format
        self.toStandardError = toStandardError
    }

    struct Report: Encodable {
        var diagnostics: [Entry]
        var errors: Int
        var warnings: Int
        var stale: [StaleEntry]?
    }
    struct Entry: Encodable {
        var file: String, line: Int, column: Int, severity: String, message: String
    }
    struct StaleEntry: Encodable {
        var path: String, state: String
    }

    public func report(_ diagnostics: [Diagnostic], stale: [(String, String)]? = nil) {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        switch format {
        case .text:
            var text = diagnostics.map(\.formatted).joined(separator: "\n")
            if !diagnostics.isEmpty {
                text += "\n\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n"
            }
            FileHandle.standardError.write(Data(text.utf8))
        case .json:
            let report = Report(
                diagnostics: diagnostics.map { Entry(file: $0.location.file, line: $0.location.line, column: $0.location.column, severity: $0.severity.rawValue, message: $0.message) },
                errors: errors, warnings: warnings, stale: stale?.map { StaleEntry(path: $0.0, state: $0.1) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
            (toStandardError ? FileHandle.standardError : FileHandle.standardOutput).write(data + Data("\n".utf8))
        }
    }

}
