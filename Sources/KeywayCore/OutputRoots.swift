import KeywayLoad
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

/// A folder a command writes into, as the configuration names it: the output folder, the
/// Swift folder, the Supabase CLI's migrations folder.
public struct OutputFolder: Sendable, Equatable {
    /// The keyway.yaml key, as messages name it (`output`, `swift.output`, …).
    public var key: String
    /// The command-line flag that sets it.
    public var flag: String
    public var path: String
    /// Where keyway.yaml or the command line named it; nil for a default.
    public var origin: SourceLocation?

    /// The setting as a message names it: the flag when the command line set it.
    var name: String { origin == .commandLine ? flag : "'\(key)'" }
}

extension ProjectConfig {
    /// The folders this configuration names for keyway to write into: the output folder,
    /// the Swift folder when it is set (by default it is `<output>/Swift`), and the
    /// Supabase folder when the layout copies migrations there.
    public var outputFolders: [OutputFolder] {
        var folders = [OutputFolder(key: "output", flag: "--output", path: output, origin: origins.output)]
        if let swiftOutput {
            folders.append(OutputFolder(key: "swift.output", flag: "--swift-output", path: swiftOutput, origin: origins.swiftOutput))
        }
        if migrations.layout == .supabase {
            folders.append(OutputFolder(key: "migrations.supabase_output", flag: "--supabase-output", path: migrations.supabaseOutput, origin: origins.supabaseOutput))
        }
        return folders
    }
}

/// How a folder is told apart from another: a path made absolute, with symbolic links and
/// `..` resolved (the command line's `LocalFolder.identity(of:)`). The default is lexical,
/// for folders that are not on disk.
public typealias FolderIdentity = @Sendable (String) -> String

extension Pipeline {
    /// Checks the folders `config` writes into, before anything is planned: none empty,
    /// none the root of the file system, none in the manifests' folders, none inside, around
    /// or equal to another (but the Swift folder may be inside the output folder, out of
    /// its `Migrations`, which is `migrate`'s). Errors at the keyway.yaml line or flag that
    /// names the folder.
    public static func checkOutputFolders(_ config: ProjectConfig, identity: FolderIdentity = Pipeline.lexicalIdentity) throws(DiagnosticsError) {
        var problems: [Diagnostic] = []
        let folders = config.outputFolders
        var resolved: [(folder: OutputFolder, path: PathComponents)] = []
        for folder in folders {
            if let problem = ProjectConfig.folderProblem(folder.path, name: folder.name) {
                problems.append(.error(folder.origin ?? .commandLine, problem))
                continue
            }
            let path = PathComponents(identity(folder.path))
            if path.isFileSystemRoot {
                problems.append(.error(folder.origin ?? .commandLine, "\(folder.name) is the root of the file system; keyway writes into folders of its own: name one, like Generated"))
                continue
            }
            resolved.append((folder, path))
        }
        func at(_ origin: SourceLocation?) -> String {
            guard let origin, origin != .commandLine else { return "" }
            return " (\(origin.file):\(origin.line):\(origin.column))"
        }
        func at(_ folder: OutputFolder) -> String { at(folder.origin) }
        // What keyway writes never lands among the manifests it reads: not in the manifests
        // folder itself, nor in its integrations/, connectors/ or scopes/ (a folder of its
        // own beside those is left alone, as the loader leaves it).
        let manifests = PathComponents(identity(config.manifests))
        for (folder, path) in resolved {
            let relation: String
            if path == manifests {
                relation = "is the manifests folder"
            } else if let kind = ManifestKind.allCases.first(where: { let kind = manifests.appending($0.folder); return path == kind || path.isInside(kind) }) {
                relation = "is inside \(kind.folder)/ of the manifests folder \(config.manifests.forDiagnostic)\(at(config.origins.manifests))"
            } else {
                continue
            }
            problems.append(.error(folder.origin ?? .commandLine, "\(folder.name) \(folder.path.forDiagnostic) \(relation); keyway would write among the manifests it reads: give it a folder of its own, beside them"))
        }
        for inner in resolved {
            for outer in resolved where outer.folder.key != inner.folder.key {
                let location = inner.folder.origin ?? outer.folder.origin ?? .commandLine
                let what = "\(inner.folder.name) \(inner.folder.path.forDiagnostic)"
                let other = "\(outer.folder.name) \(outer.folder.path.forDiagnostic)\(at(outer.folder))"
                if inner.folder.key == "swift.output" && outer.folder.key == "output" {
                    // The default layout, and any folder under the output folder but Migrations.
                    if inner.path.isInside(outer.path.appending(MigrationsFolder.root)) {
                        problems.append(.error(location, "\(what) is inside the Migrations folder of \(other), which holds migrate's migrations only; choose a Swift folder outside it"))
                    }
                    continue
                }
                if inner.path == outer.path {
                    // Reported once, at the later of the two settings.
                    if folders.firstIndex(where: { $0.key == inner.folder.key })! > folders.firstIndex(where: { $0.key == outer.folder.key })! {
                        problems.append(.error(location, "\(what) is the same folder as \(other); give each its own folder"))
                    }
                } else if inner.path.isInside(outer.path) {
                    problems.append(.error(location, "\(what) is inside \(other); give each its own folder, side by side"))
                }
            }
        }
        if !problems.isEmpty { throw DiagnosticsError(problems.sortedForReport()) }
    }

    /// A path's identity without the file system: absolute or relative as written, `.` and
    /// repeated slashes dropped, `..` taken back where it can be.
    public static let lexicalIdentity: FolderIdentity = { path in
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", path.hasPrefix("/") {
                continue  // `/..` is `/`
            } else {
                parts.append(part)
            }
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// Where each generated file goes (after `checkOutputFolders`). Every artifact but
    /// Swift goes to `config.output`; Swift goes to `config.swiftFolder`: inside the output
    /// folder (or the output folder itself) it is part of that root (the default,
    /// `<output>/Swift`), elsewhere it is a root of its own. A root appears only when a
    /// chosen artifact goes there, so `artifacts: [swift]` with its own folder never
    /// touches the output folder. Pure but for `identity`, which tells whether two paths
    /// are one folder.
    public static func outputRoots(_ files: [GeneratedFile], config: ProjectConfig, identity: FolderIdentity = Pipeline.lexicalIdentity) throws(DiagnosticsError) -> [OutputRoot] {
        try checkOutputFolders(config, identity: identity)
        let output = PathComponents(identity(config.output)), swift = PathComponents(identity(config.swiftFolder))
        var main = OutputRoot(folder: config.output, files: [])
        var separate = OutputRoot(folder: config.swiftFolder, files: [])
        let swiftInside = swift == output || swift.isInside(output)
        let prefix = swift.parts.dropFirst(output.parts.count).map { $0 + "/" }.joined()
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
}

/// A resolved path as its components, absolute or not.
struct PathComponents: Equatable {
    var absolute: Bool
    var parts: [String]

    init(_ path: String) {
        absolute = path.hasPrefix("/")
        parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.map(String.init)
    }

    var isFileSystemRoot: Bool { absolute && parts.isEmpty }

    /// Strictly inside `other`.
    func isInside(_ other: PathComponents) -> Bool {
        absolute == other.absolute && parts.count > other.parts.count && parts.starts(with: other.parts)
    }

    func appending(_ part: String) -> PathComponents {
        var copy = self
        copy.parts.append(part)
        return copy
    }
}
