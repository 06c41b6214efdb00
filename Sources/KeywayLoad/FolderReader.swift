import Foundation
import KeywayModel

/// The load stage's reads of folders that are not manifests (template overrides, the
/// migration history): what is there, as data. KeywayCore decides what it means, without
/// touching the file system itself.
public enum FolderReader {
    /// One entry of a folder listing.
    public enum Entry: Sendable, Equatable {
        case file(Data)
        case folder
        /// The entry exists but cannot be read (permissions, a dangling link…).
        case unreadable
    }

    public enum Listing: Sendable {
        /// Nothing at that path.
        case absent
        /// A file where a folder was expected.
        case notAFolder
        /// The folder exists but cannot be listed; the reason, for the message.
        case unreadable(String)
        /// Name → entry, hidden names included (the caller decides), sorted by name.
        case entries([(name: String, entry: Entry)])
    }

    /// The folder's entries; files are read only when `read(name)` says so (the others
    /// come back as `.file(Data())` — present, not read).
    public static func list(_ folder: String, reading read: (String) -> Bool = { _ in true }) -> Listing {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isFolder) else { return .absent }
        guard isFolder.boolValue else { return .notAFolder }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: folder).sorted() } catch { return .unreadable(fileErrorReason(error)) }
        return .entries(names.map { name in
            let path = folder + "/" + name
            var nested: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &nested) else { return (name, .unreadable) }
            if nested.boolValue { return (name, .folder) }
            guard read(name) else { return (name, .file(Data())) }
            return (name, fm.contents(atPath: path).map(Entry.file) ?? .unreadable)
        })
    }

    /// A file's bytes; nil when it is absent or cannot be read.
    public static func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// Whether anything (file or folder) is at `path`.
    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Whether `path` is a folder (through symbolic links).
    public static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }
}
