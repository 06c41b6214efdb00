import KeywayModel
import KeywayFiles

/// A folder keyway writes into as one owner: its files, relative to it, the command that
/// writes them, and whether it keeps its own `.keyway-manifest` (not in a folder of
/// another tool's, like `supabase/migrations`, where keyway only adds files). What a
/// stage returns and the command line writes.
public struct OutputRoot: Sendable, Equatable {
    public var folder: String
    public var files: [GeneratedFile]
    public var producer: Producer
    public var recordsOwnership: Bool

    public init(folder: String, files: [GeneratedFile], producer: Producer = .generate, recordsOwnership: Bool = true) {
        self.folder = folder
        self.files = files
        self.producer = producer
        self.recordsOwnership = recordsOwnership
    }

    /// The writer of the folder.
    public var writer: OutputWriter { OutputWriter(outputFolder: folder, producer: producer, recordsOwnership: recordsOwnership) }

    /// A path inside the folder, as diagnostics show it.
    public func display(_ path: String) -> String { folder.hasSuffix("/") ? folder + path : folder + "/" + path }
}

extension Pipeline {
    /// Where each generated file goes. Every artifact but Swift goes to `config.output`;
    /// Swift goes to `config.swiftFolder`: inside the output folder it is part of that root
    /// (the default, `<output>/Swift`), elsewhere it is a root of its own. A root appears
    /// only when a chosen artifact goes there, so `artifacts: [swift]` with its own folder
    /// never touches the output folder. Pure: paths are compared as written, after
    /// dropping `.` components and repeated or trailing slashes.
    public static func outputRoots(_ files: [GeneratedFile], config: ProjectConfig) throws(DiagnosticsError) -> [OutputRoot] {
        let output = components(config.output), swift = components(config.swiftFolder)
        var main = OutputRoot(folder: config.output, files: [])
        var separate = OutputRoot(folder: config.swiftFolder, files: [])
        let swiftInside = swift.starts(with: output)
        if !swiftInside && output.starts(with: swift) {
            throw DiagnosticsError([.error(SourceLocation(file: config.swiftFolder, line: 1, column: 1),
                "the Swift output folder holds the output folder \(config.output.forDiagnostic); choose a Swift folder inside the output folder or beside it")])
        }
        let prefix = swift.dropFirst(output.count).map { $0 + "/" }.joined()
        let mainUsed = config.artifacts.contains { $0 != .swift || swiftInside }
        for file in files {
            if file.artifact == .swift {
                if swiftInside {
                    var moved = file
                    moved.path = prefix + file.path
                    main.files.append(moved)
                } else {
                    separate.files.append(file)
                }
            } else {
                main.files.append(file)
            }
        }
        main.files.sort { $0.path < $1.path }
        var roots: [OutputRoot] = []
        if mainUsed { roots.append(main) }
        if !swiftInside && config.artifacts.contains(.swift) { roots.append(separate) }
        return roots
    }

    /// A path's components without `.`, empty ones or a trailing slash; an absolute path
    /// keeps a leading "/".
    static func components(_ path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        return path.hasPrefix("/") ? ["/"] + parts : parts
    }
}
