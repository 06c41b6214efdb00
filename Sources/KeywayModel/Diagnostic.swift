import Foundation

/// A position in a source file, as a compiler reports it: 1-based line and column
/// (columns count Unicode scalars, as libyaml does).
public struct SourceLocation: Hashable, Sendable, Codable, Comparable {
    /// The path shown to the user: the manifests folder as given on the command line,
    /// joined with the file's path inside it.
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }

    public var description: String { "\(file):\(line):\(column)" }

    /// A problem of the command line itself (an option, the environment), as clang names
    /// it: `<command line>:1:1`.
    public static let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)

    /// The start of a file: a problem about the file as a whole.
    public static func start(of file: String) -> SourceLocation { SourceLocation(file: file, line: 1, column: 1) }
}

public enum Severity: String, Sendable, Codable, Comparable {
    case error
    case warning

    public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
}

/// One finding of a run. `message` says what is wrong and what to do about it.
public struct Diagnostic: Hashable, Sendable, Codable, Error {
    public var severity: Severity
    public var location: SourceLocation
    public var message: String

    public init(_ severity: Severity, _ location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public static func error(_ location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.error, location, message)
    }

    public static func warning(_ location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.warning, location, message)
    }

    /// `PATH:LINE:COL: error: MESSAGE`, the form editors and CI annotate.
    /// Control characters in the path (a file named with a newline) are escaped, so no
    /// file name can forge a diagnostic line.
    public var formatted: String {
        "\(location.file.escapingControls):\(location.line):\(location.column): \(severity.rawValue): \(message)"
    }
}

extension Array where Element == Diagnostic {
    /// Sorted by file, line, column, then severity and message, so output is stable.
    public func sortedForReport() -> [Diagnostic] {
        sorted {
            if $0.location != $1.location { return $0.location < $1.location }
            if $0.severity != $1.severity { return $0.severity < $1.severity }
            return $0.message < $1.message
        }
    }

    public var hasErrors: Bool { contains { $0.severity == .error } }
}

/// Thrown by a stage that cannot go on; carries every diagnostic found so far.
public struct DiagnosticsError: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}

extension String {
    /// The string as it may appear inside a diagnostic: control, format and
    /// bidirectional characters escaped, and cut at 80 characters, so echoing a manifest
    /// value cannot rewrite the user's terminal.
    public var forDiagnostic: String { escaped(limit: 80) }

    /// The string with control, format and bidirectional characters escaped.
    public var escapingControls: String { escaped(limit: .max) }

    private func escaped(limit: Int) -> String {
        var out = ""
        var count = 0
        for scalar in unicodeScalars {
            if count == limit { out += "…"; break }
            count += 1
            if scalar.isInvisible {
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Where every stage and command reports what it finds: the one channel of a run (as
/// swift-openapi-generator's `DiagnosticCollector`). Stages emit into it as they go, or
/// throw a `DiagnosticsError` that the command's runner emits; the runner reports the
/// whole, sorted, once, and decides the exit status from it. Safe to emit into from
/// several threads.
public final class Diagnostics: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Diagnostic] = []

    public init() {}

    public func emit(_ diagnostic: Diagnostic) {
        lock.lock()
        items.append(diagnostic)
        lock.unlock()
    }

    public func emit(contentsOf diagnostics: some Sequence<Diagnostic>) {
        lock.lock()
        items.append(contentsOf: diagnostics)
        lock.unlock()
    }

    public func error(_ location: SourceLocation, _ message: String) { emit(.error(location, message)) }
    public func warning(_ location: SourceLocation, _ message: String) { emit(.warning(location, message)) }

    /// Everything emitted, sorted by file, line, column, severity and message.
    public var all: [Diagnostic] {
        lock.lock()
        defer { lock.unlock() }
        return items.sortedForReport()
    }

    public var hasErrors: Bool {
        lock.lock()
        defer { lock.unlock() }
        return items.hasErrors
    }
}
