import Foundation
import KeywayModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// - Parameter folder: the manifests folder, as the user gave it (used for display).
    public func load(folder: String) -> LoadResult {
        let fm = FileManager.default
        var diagnostics: [Diagnostic] = []
        var documents: [ManifestDocument] = []
        var unread: [String] = []
        let root = URL(fileURLWithPath: folder)
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            diagnostics.append(.error(SourceLocation(file: folder, line: 1, column: 1),
                                      "manifests folder not found; pass --manifests DIR or create \(folder)/integrations"))
            return LoadResult(documents: [], diagnostics: diagnostics)
        }
        let kinds = ManifestKind.allCases.map(\.folder)
        // YAML files outside the three known folders are probably misplaced, and a folder
        // named almost like one of them is probably misspelt: nothing is skipped silently.
        for name in (try? fm.contentsOfDirectory(atPath: root.path))?.sorted() ?? [] where !name.hasPrefix(".") && !kinds.contains(name) {
            var isFolder: ObjCBool = false
            _ = fm.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isFolder)
            let location = SourceLocation(file: Self.join(folder, name), line: 1, column: 1)
            if isFolder.boolValue, let kind = kinds.first(where: { Self.isNear(name.lowercased(), $0) }) {
                diagnostics.append(.warning(location, "not read: did you mean \(kind)/? manifests live in integrations/, connectors/ or scopes/"))
            } else if !isFolder.boolValue, Self.looksLikeYAML(name) {
                diagnostics.append(.warning(location, "not read: manifests live in integrations/, connectors/ or scopes/; move the file into one of them"))
            }
        }
        for kind in ManifestKind.allCases {
            let dir = root.appendingPathComponent(kind.folder)
            var isFolder: ObjCBool = false
            let exists = fm.fileExists(atPath: dir.path, isDirectory: &isFolder)
            if !exists {
                // A symbolic link to nothing is not an absent folder.
                if (try? fm.destinationOfSymbolicLink(atPath: dir.path)) != nil {
                    diagnostics.append(.error(SourceLocation(file: Self.join(folder, kind.folder), line: 1, column: 1),
                                              "cannot read the folder: it is a symbolic link to nothing; fix the link (keyway will not take a folder it cannot read for an empty one)"))
                    unread.append(kind.folder + "/")
                }
                continue
            }
            let names: [String]
            do {
                guard isFolder.boolValue else { throw CocoaError(.fileReadUnknown) }
                names = try fm.contentsOfDirectory(atPath: dir.path)
            } catch {
                diagnostics.append(.error(SourceLocation(file: Self.join(folder, kind.folder), line: 1, column: 1), isFolder.boolValue
                    ? "cannot read the folder (\(fileErrorReason(error))); make it readable (keyway will not take a folder it cannot read for an empty one)"
                    : "\(kind.folder) is a file, not a folder; manifests live in \(kind.folder)/<name>.yaml"))
                unread.append(kind.folder + "/")
                continue
            }
            for name in names.sorted() where !name.hasPrefix(".") && !Self.isYAML(name) {
                var nested: ObjCBool = false
                _ = fm.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &nested)
                let location = SourceLocation(file: Self.join(folder, kind.folder + "/" + name), line: 1, column: 1)
                if nested.boolValue {
                    diagnostics.append(.warning(location, "not read: subfolders of \(kind.folder)/ are not read; move its manifests up into \(kind.folder)/"))
                } else if Self.looksLikeYAML(name) {
                    diagnostics.append(.warning(location, "not read: manifests end in .yaml or .yml, in lower case; rename the file"))
                }
            }
            // Read and parsed on all cores; reported in name order.
            let manifests = names.sorted().filter { Self.isYAML($0) && !$0.hasPrefix(".") }
            // The folder's path made once: URL.path rebuilds its string every time (1.5% of a
            // generate when it was read per file).
            let dirPath = dir.path
            let files = Parallel.map(manifests) { name in loadFile(path: dirPath + "/" + name, display: Self.join(folder, kind.folder + "/" + name)) }
            for (name, file) in zip(manifests, files) {
                let relative = kind.folder + "/" + name
                let display = Self.join(folder, relative)
                diagnostics.append(contentsOf: file.diagnostics)
                if let node = file.root {
                    documents.append(ManifestDocument(kind: kind, relativePath: relative, displayPath: display, root: node))
                } else {
                    unread.append(relative)
                    if file.diagnostics.isEmpty {
                        diagnostics.append(.error(SourceLocation(file: display, line: 1, column: 1), "the manifest is empty; write its fields or delete the file"))
                    }
                }
            }
        }
        if documents.isEmpty && !diagnostics.hasErrors {
            diagnostics.append(.error(SourceLocation(file: folder, line: 1, column: 1),
                                      "no manifests found; add YAML files under \(folder)/integrations and \(folder)/connectors"))
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

    /// Reads and parses one file. Only regular files are read (a symlink to a device or a
    /// FIFO would never end), and never more than `maxFileSize + 1` bytes.
    public func loadFile(_ url: URL, display: String) -> LoadedFile {
        loadFile(path: url.path, display: display)
    }

    func loadFile(path: String, display: String) -> LoadedFile {
        func failure(_ diagnostic: Diagnostic) -> LoadedFile { LoadedFile(root: nil, diagnostics: [diagnostic]) }
        let start = SourceLocation(file: display, line: 1, column: 1)
        let notRegular = Diagnostic.error(start, "not a regular file; a manifest must be a plain YAML file")
        // stat follows symbolic links: a link to a device, a FIFO or nothing is refused
        // before it is opened, and the descriptor is checked again after.
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return failure(notRegular) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return failure(Diagnostic.error(start, "cannot read the file; check its permissions")) }
        defer { close(fd) }
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return failure(notRegular) }
        // Never more than `maxFileSize + 1` bytes, whatever the file claims to hold.
        let limit = Self.maxFileSize + 1
        var bytes = [UInt8](repeating: 0, count: min(max(Int(info.st_size), 0) + 1, limit))
        var count = 0
        while count < limit {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: min(bytes.count, limit - bytes.count)) }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                return failure(Diagnostic.error(start, "cannot read the file; check its permissions"))
            }
            if n == 0 { break }
            count += n
        }
        if count > Self.maxFileSize {
            return failure(Diagnostic.error(start, "the manifest is larger than 1 MiB, keyway's limit for one manifest file; split it (a manifest describes one integration, connector or provider) or shorten its longest values (each is at most 64 KiB)"))
        }
        bytes.removeSubrange(count...)
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
