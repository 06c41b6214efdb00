import Foundation
import KeywayModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The write stage's calls into the file system, on paths: one system call where
/// Foundation would make several (and `Data.write` an `fsync` per file).
enum FileSystem {
    enum Contents {
        case absent
        case folder
        case unreadable
        case bytes([UInt8])
    }

    /// What is at `path`, following symbolic links as `FileManager.fileExists` does: nothing
    /// (a dangling link included), a folder, or the bytes of anything else. Reads never
    /// block (a FIFO reads as what it holds now).
    static func contents(_ path: String) -> Contents {
        var info = stat()
        guard stat(path, &info) == 0 else { return .absent }
        if info.st_mode & S_IFMT == S_IFDIR { return .folder }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .unreadable }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var capacity = max(Int(info.st_size), 0) + 1
        var count = 0
        while true {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: capacity); capacity = bytes.count }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { break }
                return .unreadable
            }
            if n == 0 { break }
            count += n
        }
        bytes.removeSubrange(count...)
        return .bytes(bytes)
    }

    /// Whether a folder is at `path` (following symbolic links).
    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether anything is at `path` (following symbolic links).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Writes `contents` to `path` (created, or truncated), without `fsync`: keyway's
    /// output is rebuilt from the manifests, and a file a power loss left short is one
    /// `keyway check` reports. Returns the `errno` of a failure.
    static func write(_ path: String, _ contents: String) -> Int32? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return errno }
        let failure = writeAll(fd, contents)
        if close(fd) != 0, failure == nil { return errno }
        return failure
    }

    /// Writes all of `contents` to `fd`, again after an interrupted or short write.
    /// Returns the `errno` of a failure.
    private static func writeAll(_ fd: Int32, _ contents: String) -> Int32? {
        var contents = contents
        return contents.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
    }

    #if os(Linux)
    /// `O_TMPFILE` (a macro Swift does not import): `__O_TMPFILE | O_DIRECTORY`.
    private static let temporaryFileFlag = Int32(0o20000000) | O_DIRECTORY
    /// `AT_EMPTY_PATH` (defined only with `_GNU_SOURCE`, which Swift's Glibc lacks).
    private static let emptyPathFlag = Int32(0x1000)
    #endif

    enum Creation: Equatable {
        case created
        /// The system cannot create a file this way (not Linux, a file system without
        /// `O_TMPFILE`, no `/proc`): write a temporary file and rename it instead.
        case unsupported
        case failed(Int32)
    }

    /// Creates the file `path` in `folder` holding `contents`, complete or not at all: the
    /// bytes go into an unnamed file of the folder, which is then linked under its name —
    /// one change to the folder, like a rename, without a temporary name a killed run
    /// would leave behind. Never replaces anything: a file (or link) at `path` fails with
    /// `EEXIST`.
    static func createComplete(_ path: String, in folder: String, _ contents: String) -> Creation {
        #if os(Linux)
        let fd = open(folder, temporaryFileFlag | O_WRONLY | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL ? .unsupported : .failed(errno) }
        return finishComplete(fd, path, contents)
        #else
        return .unsupported
        #endif
    }

    /// `createComplete`, or where this folder cannot (another file system mounted inside
    /// the output folder), the same through a named temporary file: written, hard-linked
    /// under its name (never replacing anything), removed.
    static func createComplete(_ path: String, in folder: String, _ contents: String, temporary: String) -> Creation {
        let created = createComplete(path, in: folder, contents)
        guard created == .unsupported else { return created }
        if let failure = write(temporary, contents) {
            unlink(temporary)
            return .failed(failure)
        }
        defer { unlink(temporary) }
        return link(temporary, path) == 0 ? .created : .failed(errno)
    }

    #if os(Linux)
    private static func finishComplete(_ fd: Int32, _ path: String, _ contents: String) -> Creation {
        defer { close(fd) }
        let failure = writeAll(fd, contents)
        if let failure { return .failed(failure) }
        // The descriptor itself linked under the name (Linux 6.10 and later allow it for a
        // file one opened; before, only with a privilege), else through /proc, which any
        // kernel allows (a path lookup more: a fifth of the creation's time on tmpfs).
        if linkat(fd, "", AT_FDCWD, path, emptyPathFlag) == 0 { return .created }
        // A name already there is final; any other refusal (ENOENT or EPERM from an older
        // kernel, EINVAL, or a file system's own) gets the /proc way, which says its own.
        if errno == EEXIST { return .failed(errno) }
        guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 else {
            return errno == ENOENT && !exists("/proc/self/fd") ? .unsupported : .failed(errno)
        }
        return .created
    }
    #endif

    /// Whether `createComplete` works in `folder` (tried once, with a name of keyway's that
    /// is removed at once).
    static func canCreateComplete(in folder: String) -> Bool {
        let probe = folder + "/.keyway-probe.\(getpid()).tmp"
        unlink(probe)
        defer { unlink(probe) }
        return createComplete(probe, in: folder, "") == .created
    }

    /// The path with every symbolic link resolved; a part that does not exist yet is
    /// kept as written after its deepest existing folder is resolved.
    static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.startIndex else { return path }
        return resolved(String(path[..<slash])) + path[slash...]
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// `write(2)`, under a name `FileSystem.write` does not shadow.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
