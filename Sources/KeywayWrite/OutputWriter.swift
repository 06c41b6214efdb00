import Foundation
import KeywayModel

/// What a run would change in the output folder.
public struct OutputPlan: Sendable, Equatable {
    /// Files that do not exist yet.
    public var missing: [GeneratedFile] = []
    /// Files whose bytes differ from what the run produces.
    public var stale: [GeneratedFile] = []
    /// Files keyway wrote earlier (they carry its marker) that the run no longer produces.
    public var extra: [String] = []
    /// Files whose bytes are already right: never touched.
    public var unchanged: [String] = []

    public var isUpToDate: Bool { missing.isEmpty && stale.isEmpty && extra.isEmpty }
}

public struct WriteError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Stage 4, the only side effect: brings an output folder to exactly the generated files.
/// Only files whose bytes change are written (temp file, then rename); a stale file is
/// removed only if it carries keyway's marker; nothing is written outside the folder.
public struct OutputWriter: Sendable {
    public let root: URL

    public init(outputFolder: String) {
        root = URL(fileURLWithPath: outputFolder).standardizedFileURL
    }

    /// Refuses a path that is absolute, empty, or climbs out of the output folder.
    public static func checkRelativePath(_ path: String) throws(WriteError) {
        if path.isEmpty || path.hasPrefix("/") || path.contains("\\") || path.contains("\0") {
            throw WriteError("refusing to write '\(path.forDiagnostic)': not a relative path inside the output folder")
        }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." || component == ".." || component.hasPrefix(".keyway-") {
                throw WriteError("refusing to write '\(path.forDiagnostic)': paths inside the output folder must not contain empty, '.' or '..' parts")
            }
        }
    }

    /// The file's URL, after checking that it stays inside the folder even through
    /// symbolic links in the folders that already exist.
    func url(for path: String) throws(WriteError) -> URL {
        try Self.checkRelativePath(path)
        let url = root.appendingPathComponent(path).standardizedFileURL
        let realRoot = root.resolvingSymlinksInPath().path
        var ancestor = url.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: ancestor.path), ancestor.path.count > root.path.count {
            ancestor = ancestor.deletingLastPathComponent()
        }
        let realAncestor = ancestor.resolvingSymlinksInPath().path
        guard realAncestor == realRoot || realAncestor.hasPrefix(realRoot + "/") else {
            throw WriteError("refusing to write '\(path.forDiagnostic)': it resolves outside the output folder")
        }
        return url
    }

    public func plan(_ files: [GeneratedFile]) throws(WriteError) -> OutputPlan {
        var plan = OutputPlan()
        var produced = Set<String>()
        for file in files.sorted(by: { $0.path < $1.path }) {
            guard produced.insert(file.path).inserted else { throw WriteError("two emitters produce '\(file.path)'") }
            let url = try url(for: file.path)
            if let existing = FileManager.default.contents(atPath: url.path) {
                if existing == Data(file.contents.utf8) { plan.unchanged.append(file.path) } else { plan.stale.append(file) }
            } else {
                plan.missing.append(file)
            }
        }
        plan.extra = markedFiles().filter { !produced.contains($0) }
        return plan
    }

    /// Applies a plan: every new or changed file is first written to a temporary file
    /// beside its target; only when all are written are they renamed into place, so a
    /// failure leaves the folder as it was.
    public func apply(_ plan: OutputPlan) throws(WriteError) {
        let fm = FileManager.default
        var staged: [(temp: URL, target: URL)] = []
        var createdFolders: [URL] = []
        func rollBack() {
            for s in staged { try? fm.removeItem(at: s.temp) }
            for folder in createdFolders.reversed() { try? fm.removeItem(at: folder) }
        }
        for file in plan.missing + plan.stale {
            let target = try url(for: file.path)
            let folder = target.deletingLastPathComponent()
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue {
                rollBack()
                throw WriteError("cannot write \(file.path): a folder is in the way; nothing was changed")
            }
            do {
                var missingFolders: [URL] = []
                var f = folder
                while !fm.fileExists(atPath: f.path) { missingFolders.append(f); f = f.deletingLastPathComponent() }
                try fm.createDirectory(at: folder, withIntermediateDirectories: true)
                createdFolders += missingFolders.reversed()
                let temp = folder.appendingPathComponent(".keyway-\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
                try Data(file.contents.utf8).write(to: temp)
                staged.append((temp, target))
            } catch {
                rollBack()
                throw WriteError("cannot write \(file.path): \(error.localizedDescription); nothing was changed")
            }
        }
        for s in staged {
            if rename(s.temp.path, s.target.path) != 0 {
                let reason = String(cString: strerror(errno))
                rollBack()
                throw WriteError("cannot move \(s.target.path) into place: \(reason)")
            }
        }
        for path in plan.extra {
            let url = try url(for: path)
            guard Self.hasMarker(url) else { continue }
            try? fm.removeItem(at: url)
        }
    }

    /// Paths (relative, sorted) of the files in the folder that carry keyway's marker.
    func markedFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var found: [String] = []
        let prefix = root.resolvingSymlinksInPath().path + "/"
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                  !url.lastPathComponent.hasPrefix(".keyway-"), Self.hasMarker(url) else { continue }
            let full = url.resolvingSymlinksInPath().path
            if full.hasPrefix(prefix) { found.append(String(full.dropFirst(prefix.count))) }
        }
        return found.sorted()
    }

    /// Whether the file's first kilobyte holds keyway's marker.
    static func hasMarker(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 1024)) ?? Data()
        return String(decoding: head, as: UTF8.self).contains(GeneratedFile.marker)
    }
}
