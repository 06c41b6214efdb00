import Foundation
import KeywayModel


/// The three kinds of manifest and the folders they live in.
public enum ManifestKind: String, Sendable, CaseIterable {
    case integration = "integrations"
    case connector = "connectors"
    case scopes = "scopes"

    public var folder: String { rawValue }
}

/// A parsed manifest file: its kind, its path inside the manifests folder, and its root node.
public struct ManifestDocument: Sendable {
    public var kind: ManifestKind
    /// Path inside the manifests folder, e.g. `integrations/gmail.yaml`.
    public var relativePath: String
    /// Path shown in diagnostics: the folder as given, joined with `relativePath`.
    public var displayPath: String
    public var root: YAMLNode
}

public struct LoadResult: Sendable {
    public var documents: [ManifestDocument]
    public var diagnostics: [Diagnostic]
    /// Manifest files found but not read (empty, unparsable, unreadable), as
    /// `integrations/x.yaml`, and kind folders that could not be read, as `connectors/`:
    /// the validator does not also call them missing, nor draw conclusions from their absence.
    public var unreadFiles: [String] = []
}

/// Stage 1: finds the manifests in a folder and parses each into nodes with positions.
/// Never throws: every problem becomes a positioned diagnostic, and loading goes on with
/// the next file so that one run reports everything.
public struct ManifestLoader: Sendable {
    /// A manifest larger than this is refused before it is parsed.
    public static let maxFileSize = 1 << 20

    /// A value (a description, a reason…) larger than this is an error at its position.
    public static let maxValueSize = 64 << 10

    public var limits: YAMLLimits = {
        var limits = YAMLLimits()
        limits.maxScalarBytes = maxValueSize
        return limits
    }()

    public init() {}

    /// Every manifest of the folder, parsed on all cores, reported in name order.
    public func load(_ folder: some Folder) -> LoadResult {
        var diagnostics: [Diagnostic] = []
        var documents: [ManifestDocument] = []
        var unread: [String] = []
        guard case .names(let rootNames) = folder.list("") else {
            diagnostics.append(.error(.start(of: folder.path),
                                      "manifests folder not found; pass --manifests DIR or create \(folder.display("integrations"))"))
            return LoadResult(documents: [], diagnostics: diagnostics)
        }
        let kinds = ManifestKind.allCases.map(\.folder)
        // YAML files outside the three known folders are probably misplaced, and a folder
        // named almost like one of them is probably misspelt: nothing is skipped silently.
        for name in rootNames where !name.hasPrefix(".") && !kinds.contains(name) {
            let isFolder = folder.item(name) == .folder
            let location = SourceLocation.start(of: folder.display(name))
            if isFolder, let kind = kinds.first(where: { Self.isNear(name.lowercased(), $0) }) {
                diagnostics.append(.warning(location, "not read: did you mean \(kind)/? manifests live in integrations/, connectors/ or scopes/"))
            } else if !isFolder, Self.looksLikeYAML(name), name != "keyway.yaml" {
                diagnostics.append(.warning(location, "not read: manifests live in integrations/, connectors/ or scopes/; move the file into one of them"))
            }
        }
        for kind in ManifestKind.allCases {
            let at = SourceLocation.start(of: folder.display(kind.folder))
            let names: [String]
            switch folder.list(kind.folder) {
            case .names(let listed): names = listed
            case .absent:
                // A symbolic link to nothing is not an absent folder.
                if folder.item(kind.folder) == .brokenLink {
                    diagnostics.append(.error(at, "cannot read the folder: it is a symbolic link to nothing; fix the link (keyway will not take a folder it cannot read for an empty one)"))
                    unread.append(kind.folder + "/")
                }
                continue
            case .notAFolder:
                diagnostics.append(.error(at, "\(kind.folder) is a file, not a folder; manifests live in \(kind.folder)/<name>.yaml"))
                unread.append(kind.folder + "/")
                continue
            case .unreadable(let reason):
                diagnostics.append(.error(at, "cannot read the folder (\(reason)); make it readable (keyway will not take a folder it cannot read for an empty one)"))
                unread.append(kind.folder + "/")
                continue
            }
            for name in names where !name.hasPrefix(".") && !Self.isYAML(name) {
                let relative = kind.folder + "/" + name
                let location = SourceLocation.start(of: folder.display(relative))
                if folder.item(relative) == .folder {
                    diagnostics.append(.warning(location, "not read: subfolders of \(kind.folder)/ are not read; move its manifests up into \(kind.folder)/"))
                } else if Self.looksLikeYAML(name) {
                    diagnostics.append(.warning(location, "not read: manifests end in .yaml or .yml, in lower case; rename the file"))
                }
            }
            // Read and parsed on all cores; reported in name order.
            let manifests = names.filter { Self.isYAML($0) && !$0.hasPrefix(".") }
            let files = Parallel.map(manifests) { name in loadFile(kind.folder + "/" + name, in: folder) }
            for (name, file) in zip(manifests, files) {
                let relative = kind.folder + "/" + name
                let display = folder.display(relative)
                diagnostics.append(contentsOf: file.diagnostics)
                if let node = file.root {
                    documents.append(ManifestDocument(kind: kind, relativePath: relative, displayPath: display, root: node))
                } else {
                    unread.append(relative)
                    if file.diagnostics.isEmpty {
                        diagnostics.append(.error(.start(of: display), "the manifest is empty; write its fields or delete the file"))
                    }
                }
            }
        }
        if documents.isEmpty && !diagnostics.hasErrors {
            diagnostics.append(.error(.start(of: folder.path),
                                      "no manifests found; add YAML files under \(folder.display("integrations")) and \(folder.display("connectors"))"))
        }
        return LoadResult(documents: documents, diagnostics: diagnostics, unreadFiles: unread)
    }

    static func isYAML(_ name: String) -> Bool { name.hasSuffix(".yaml") || name.hasSuffix(".yml") }

    /// `.YAML`, `.Yml`…: a manifest with the wrong case of extension.
    static func looksLikeYAML(_ name: String) -> Bool { isYAML(name.lowercased()) }

    /// Whether a folder name is one or two edits from a kind's (`conectors`, `scope`).
    static func isNear(_ a: String, _ b: String) -> Bool { a != b && EditDistance.between(a, b) <= 2 }

    static func join(_ folder: String, _ relative: String) -> String {
        if folder.isEmpty || folder == "." { return relative }
        return folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
    }

    /// One file read: its root (nil when empty or unreadable) and the problems found. A
    /// root comes with diagnostics when the problems leave the rest readable (an
    /// unsupported tag, a duplicate key), so the file's other errors are reported too.
    public struct LoadedFile {
        public var root: YAMLNode?
        public var diagnostics: [Diagnostic]
    }

    /// Reads and parses one file of a folder: at most `maxFileSize` bytes, a regular file.
    public func loadFile(_ relative: String, in folder: some Folder) -> LoadedFile {
        let display = folder.display(relative)
        let start = SourceLocation.start(of: display)
        switch folder.read(relative, limit: Self.maxFileSize) {
        case .bytes(let bytes): return parse(bytes, display: display)
        case .notAFile: return LoadedFile(root: nil, diagnostics: [.error(start, "not a regular file; a manifest must be a plain YAML file")])
        case .absent:
            // Listed, then not there: a link to nothing, or a file removed meanwhile.
            let why = folder.item(relative) == .brokenLink ? "it is a symbolic link to nothing; fix the link or remove it" : "it was removed while keyway ran; run keyway again"
            return LoadedFile(root: nil, diagnostics: [.error(start, "cannot read the file: \(why)")])
        case .unreadable(let reason):
            return LoadedFile(root: nil, diagnostics: [.error(start, "cannot read the file (\(reason)); fix it, or its permissions")])
        }
    }

    /// Parses the bytes of one file: at most `maxFileSize` of them, UTF-8 (a byte-order
    /// mark is dropped), one YAML document within the limits. `configuration`: the file is
    /// keyway.yaml, not a manifest (for the words of the size limit).
    public func parse(_ bytes: [UInt8], display: String, configuration: Bool = false) -> LoadedFile {
        func failure(_ diagnostic: Diagnostic) -> LoadedFile { LoadedFile(root: nil, diagnostics: [diagnostic]) }
        let start = SourceLocation.start(of: display)
        if bytes.count > Self.maxFileSize {
            return failure(Diagnostic.error(start, configuration
                ? "keyway.yaml is larger than 1 MiB, keyway's limit for one file; a project configuration holds a few settings: keep only those"
                : "the manifest is larger than 1 MiB, keyway's limit for one manifest file; split it (a manifest describes one integration, connector or provider) or shorten its longest values (each is at most 64 KiB)"))
        }
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let bad = Self.firstInvalidUTF8(bytes) {
            return failure(Diagnostic.error(SourceLocation(file: display, line: bad.line, column: bad.column),
                                   "the file is not valid UTF-8 (byte \(bad.offset)); save it as UTF-8"))
        }
        do throws(YAMLComposer.Failure) {
            let (root, problems) = try YAMLComposer.compose(bytes, file: display, limits: limits)
            return LoadedFile(root: root, diagnostics: problems.map { Diagnostic.error($0.location, $0.message) })
        } catch {
            return failure(Diagnostic.error(error.location, error.message))
        }
    }

    /// Whether every byte is below 0x80.
    static func isASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var i = 0, high: UInt64 = 0
            while i + 8 <= raw.count {
                high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                i += 8
            }
            while i < raw.count {
                high |= UInt64(raw[i])
                i += 1
            }
            return high & 0x8080_8080_8080_8080 == 0
        }
    }

    /// Line, column and byte offset of the first byte that is not valid UTF-8, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (line: Int, column: Int, offset: Int)? {
        // Most manifests are ASCII, valid as a whole: checked eight bytes at a time.
        if isASCII(bytes) { return nil }
        var line = 1, column = 1, i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            var length = 0
            var minimum: UInt32 = 0
            var value: UInt32 = 0
            switch b {
            case 0x00...0x7F: length = 1; value = UInt32(b)
            case 0xC2...0xDF: length = 2; value = UInt32(b & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; value = UInt32(b & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; value = UInt32(b & 0x07); minimum = 0x10000
            default: return (line, column, i)
            }
            if i + length > n { return (line, column, i) }
            for k in 1..<max(length, 1) {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return (line, column, i) }
                value = (value << 6) | UInt32(c & 0x3F)
            }
            if length > 1 && (value < minimum || value > 0x10FFFF || (0xD800...0xDFFF).contains(value)) {
                return (line, column, i)
            }
            if b == 0x0A { line += 1; column = 1 } else { column += 1 }
            i += length
        }
        return nil
    }
}
