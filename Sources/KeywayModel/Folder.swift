/// A folder as keyway's stages read it (as Atlas's `migrate.Dir`): what is at a path
/// inside it, the names it lists, the bytes of its files. The stages (load, validate, the
/// migration history, template overrides) read only through this; the command line hands
/// them a `LocalFolder` of the file system (KeywayFiles), tests may hand them a
/// `MemoryFolder`. Paths inside a folder are relative, `/`-separated; "" is the folder.
public protocol Folder: Sendable {
    /// The folder as the user named it: how diagnostics name it and the files in it.
    var path: String { get }

    /// What is at `relative`.
    func item(_ relative: String) -> FolderItem

    /// The names in the folder at `relative`, sorted (hidden ones included).
    func list(_ relative: String) -> FolderListing

    /// The bytes of the regular file at `relative`, never more than `limit` + 1 of them:
    /// a caller that gets `limit` + 1 knows the file is larger than it accepts.
    func read(_ relative: String, limit: Int) -> FileRead
}

public enum FolderItem: Sendable, Equatable {
    case absent
    case file
    case folder
    /// A symbolic link to nothing: not an absent file.
    case brokenLink
    /// A device, a FIFO, a socket: nothing keyway reads.
    case other
    case unreadable(String)
}

public enum FolderListing: Sendable, Equatable {
    case names([String])
    case absent
    case notAFolder
    /// The folder exists but cannot be listed; the reason, for the message.
    case unreadable(String)
}

public enum FileRead: Sendable, Equatable {
    case bytes([UInt8])
    case absent
    /// A folder, a device, a FIFO: not a regular file.
    case notAFile
    case unreadable(String)
}

extension Folder {
    /// A path inside the folder as diagnostics show it.
    public func display(_ relative: String) -> String {
        if relative.isEmpty { return path }
        if path.isEmpty || path == "." { return relative }
        return path.hasSuffix("/") ? path + relative : path + "/" + relative
    }

    /// A file's bytes, whatever its size; nil when it is absent or cannot be read.
    public func contents(_ relative: String) -> [UInt8]? {
        if case .bytes(let bytes) = read(relative, limit: .max - 1) { return bytes }
        return nil
    }

    /// The folder at `relative` inside this one, read through this one.
    public func subfolder(_ relative: String) -> SubFolder { SubFolder(base: self, prefix: relative) }
}

/// A folder inside another, read through it.
public struct SubFolder: Folder {
    public let base: any Folder
    public let prefix: String

    public var path: String { base.display(prefix) }

    func inner(_ relative: String) -> String { relative.isEmpty ? prefix : prefix + "/" + relative }

    public func item(_ relative: String) -> FolderItem { base.item(inner(relative)) }
    public func list(_ relative: String) -> FolderListing { base.list(inner(relative)) }
    public func read(_ relative: String, limit: Int) -> FileRead { base.read(inner(relative), limit: limit) }
}

/// A folder held in memory: files by relative path; the folders are those that hold them.
public struct MemoryFolder: Folder {
    public let path: String
    public var files: [String: [UInt8]]

    public init(path: String = "memory", files: [String: [UInt8]] = [:]) {
        self.path = path
        self.files = files
    }

    public init(path: String = "memory", texts: [String: String]) {
        self.init(path: path, files: texts.mapValues { Array($0.utf8) })
    }

    public func item(_ relative: String) -> FolderItem {
        if files[relative] != nil { return .file }
        if relative.isEmpty { return .folder }
        return files.keys.contains { $0.hasPrefix(relative + "/") } ? .folder : .absent
    }

    public func list(_ relative: String) -> FolderListing {
        switch item(relative) {
        case .file: return .notAFolder
        case .absent: return .absent
        default:
            let prefix = relative.isEmpty ? "" : relative + "/"
            let names = Set(files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count).prefix { $0 != "/" }) })
            return .names(names.sorted())
        }
    }

    public func read(_ relative: String, limit: Int) -> FileRead {
        if let bytes = files[relative] { return .bytes(bytes.count > limit ? Array(bytes.prefix(limit + 1)) : bytes) }
        return item(relative) == .folder ? .notAFile : .absent
    }
}
