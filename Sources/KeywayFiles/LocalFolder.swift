import Foundation
import KeywayModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder of the file system, as the stages read it (`Folder`): the command line makes
/// one for each folder it names, and nothing else of keyway reads files. Only regular files
/// are read (a symbolic link to a device or a FIFO would never end), and never more than
/// the caller's limit plus one byte, whatever the file claims to hold.
public struct LocalFolder: Folder {
    public let path: String
    /// `path` as the system opens it ("." for an empty path).
    let base: String

    public init(_ path: String) {
        self.path = path
        base = path.isEmpty ? "." : path
    }

    func absolute(_ relative: String) -> String {
        relative.isEmpty ? base : (base.hasSuffix("/") ? base + relative : base + "/" + relative)
    }

    public func item(_ relative: String) -> FolderItem {
        let full = absolute(relative)
        var info = stat()
        guard stat(full, &info) == 0 else {
            let code = errno
            var link = stat()
            if lstat(full, &link) == 0 { return .brokenLink }
            return code == ENOENT || code == ENOTDIR ? .absent : .unreadable(String(cString: strerror(code)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        default: return .other
        }
    }

    public func list(_ relative: String) -> FolderListing {
        switch item(relative) {
        case .absent, .brokenLink: return .absent
        case .file, .other: return .notAFolder
        case .unreadable(let reason): return .unreadable(reason)
        case .folder:
            do {
                return .names(try FileManager.default.contentsOfDirectory(atPath: absolute(relative)).sorted())
            } catch {
                return .unreadable(fileErrorReason(error))
            }
        }
    }

    public func read(_ relative: String, limit: Int) -> FileRead {
        let full = absolute(relative)
        // stat follows symbolic links: a link to a device, a FIFO or nothing is refused
        // before it is opened, and the descriptor is checked again after.
        var info = stat()
        guard stat(full, &info) == 0 else { return errno == ENOENT || errno == ENOTDIR ? .absent : .unreadable(String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .notAFile }
        let fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .notAFile }
        let cap = limit == .max ? limit : limit + 1
        var bytes = [UInt8](repeating: 0, count: min(max(Int(info.st_size), 0) + 1, cap))
        var count = 0
        while count < cap {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: min(max(bytes.count, 4096), cap - bytes.count)) }
            let n = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .unreadable(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            count += n
        }
        bytes.removeSubrange(count...)
        return .bytes(bytes)
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

extension LocalFolder {
    /// What tells two spellings of a folder apart, or not: the path made absolute (from the
    /// working directory), with every symbolic link and `..` of its existing part resolved
    /// by the system, and the parts that do not exist yet taken as written (`..` taken
    /// back lexically; a link to a folder not created yet followed to where it will be).
    /// `Generated`, `$PWD/Generated`, `Foo/../Generated` and a link to
    /// `Generated` are one folder. (A case-insensitive file system's spellings are not
    /// folded here.)
    public static func identity(of path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/") {
            let cwd = FileManager.default.currentDirectoryPath
            absolute = path.isEmpty ? cwd : cwd + "/" + path
        }
        var resolved = "/"
        // The parts still to walk, last first: a link's target is pushed in its place.
        var pending = absolute.split(separator: "/", omittingEmptySubsequences: true).reversed().map(String.init)
        var links = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            let candidate = resolved == "/" ? "/" + part : resolved + "/" + part
            if let real = realpath(candidate, nil) {
                resolved = String(cString: real)
                free(real)
                continue
            }
            // A link to what does not exist yet leads where the folder will be created.
            var info = stat()
            if part != "..", links < 40, lstat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(candidate, &target, target.count - 1)
                if count > 0 {
                    links += 1
                    let text = String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if text.hasPrefix("/") { resolved = "/" }
                    pending += text.split(separator: "/", omittingEmptySubsequences: true).reversed().map(String.init)
                    continue
                }
            }
            if part == ".." {
                if let slash = resolved.utf8.lastIndex(of: UInt8(ascii: "/")) {
                    resolved = slash == resolved.startIndex ? "/" : String(resolved[..<slash])
                }
            } else {
                resolved = candidate
            }
        }
        return resolved
    }
}
