import Foundation
import KeywayModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a run would change in one output folder.
public struct OutputPlan: Sendable, Equatable {
    /// Files that do not exist yet.
    public var missing: [GeneratedFile] = []
    /// Files keyway owns whose bytes differ from what the run produces (and, with
    /// `--force`, files in the way that it adopts).
    public var stale: [GeneratedFile] = []
    /// Files this command wrote earlier, unedited, that the run no longer produces: removed.
    public var extra: [String] = []
    /// Files whose bytes are already right: never touched.
    public var unchanged: [String] = []
    /// Files in the way that keyway may not replace, with why.
    public var conflicts: [Conflict] = []
    /// Files keyway wrote, no longer produces, but someone edited since: left in place and
    /// no longer owned.
    public var released: [String] = []
    /// Temporary files of an interrupted run (`.keyway-*.tmp`, `.keyway-*.bak`).
    public var litter: [String] = []
    /// The ownership manifest after the run, and whether its bytes change.
    public var manifest = OwnershipManifest()
    public var manifestChanges = false

    public var isUpToDate: Bool { missing.isEmpty && stale.isEmpty && extra.isEmpty && conflicts.isEmpty && litter.isEmpty && !manifestChanges }

    public struct Conflict: Sendable, Equatable {
        public enum Reason: String, Sendable { case notOwned = "not-owned", edited }
        public var path: String
        public var reason: Reason

        public var message: String {
            switch reason {
            case .notOwned: "keyway did not write this file (it is not in \(OwnershipManifest.fileName)) and would replace it; move it away, or pass --force to let keyway take it over"
            case .edited: "this file was edited since keyway wrote it (its bytes differ from \(OwnershipManifest.fileName)); move your change into the manifests or a template, or pass --force to overwrite it"
            }
        }
    }
}

public struct WriteError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Stage 4, the only side effect: brings an output folder to exactly the generated files,
/// through one path for every command: plan (read only), then stage every new byte and a
/// backup of every file it replaces or removes beside it, then commit by renames; a failure
/// rolls back from the backups. keyway replaces or removes only files that
/// `.keyway-manifest` says it owns, with their recorded bytes; nothing is written outside
/// the folder.
public struct OutputWriter: Sendable {
    public let root: URL
    public let producer: Producer
    /// Whether the folder keeps a `.keyway-manifest` (false for a folder of another tool's,
    /// like `supabase/migrations`, where keyway only ever adds new files).
    public let recordsOwnership: Bool

    public init(outputFolder: String, producer: Producer = .generate, recordsOwnership: Bool = true) {
        root = URL(fileURLWithPath: outputFolder).standardizedFileURL
        self.producer = producer
        self.recordsOwnership = recordsOwnership
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

    var manifestURL: URL { root.appendingPathComponent(OwnershipManifest.fileName) }

    /// The recorded ownership, or nil when the folder has no manifest yet.
    func readManifest() throws(WriteError) -> OwnershipManifest? {
        guard recordsOwnership else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: manifestURL.path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: manifestURL.path) else {
            throw WriteError("cannot read \(display(OwnershipManifest.fileName)); make it a readable file, or restore it from version control")
        }
        return try OwnershipManifest.parse(data, display: display(OwnershipManifest.fileName))
    }

    func display(_ path: String) -> String { root.path + "/" + path }

    /// Files a folder without a record still counts as keyway's, once: those whose first
    /// line (second, after a JSON object's brace) carries keyway's header, and the history
    /// files only keyway writes. Only at paths keyway produces: nothing is removed this way.
    static func adoptableWithoutManifest(_ path: String, _ existing: Data) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name == "keyway.sum" || path.hasSuffix("Migrations/schema.json") { return true }
        let head = existing.prefix(512).split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false).prefix(2)
        return head.contains { String(decoding: $0, as: UTF8.self).contains(GeneratedFile.marker) }
    }

    /// Reads the folder and decides, for every file, what the run does. Changes nothing.
    public func plan(_ files: [GeneratedFile], force: Bool = false) throws(WriteError) -> OutputPlan {
        var plan = OutputPlan()
        let recorded = try readManifest()
        var manifest = recorded ?? OwnershipManifest()
        // A folder (or a command) that keyway has not recorded yet: files with its header
        // at the paths it produces are taken over once.
        let firstRecord = recorded.map { !$0.entries.values.contains { $0.producer == producer } } ?? true
        var produced = Set<String>()
        for file in files.sorted(by: { $0.path < $1.path }) {
            guard produced.insert(file.path).inserted else { throw WriteError("two emitters produce '\(file.path)'") }
            if file.path == OwnershipManifest.fileName { throw WriteError("an emitter produces '\(file.path)', keyway's own ownership file") }
            let url = try url(for: file.path)
            let bytes = Data(file.contents.utf8)
            let hash = OwnershipManifest.sha256(bytes)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
                if isDirectory.boolValue { throw WriteError("cannot write \(file.path): a folder is in the way; move it") }
                guard let existing = FileManager.default.contents(atPath: url.path) else {
                    throw WriteError("cannot read \(display(file.path)) to compare it; make it readable")
                }
                if existing == bytes {
                    plan.unchanged.append(file.path)
                } else if let entry = recorded?.entries[file.path] {
                    if entry.sha256 == OwnershipManifest.sha256(existing) || force { plan.stale.append(file) }
                    else { plan.conflicts.append(.init(path: file.path, reason: .edited)) }
                } else if force || (recordsOwnership && firstRecord && Self.adoptableWithoutManifest(file.path, existing)) {
                    plan.stale.append(file)
                } else {
                    plan.conflicts.append(.init(path: file.path, reason: .notOwned))
                }
            } else {
                plan.missing.append(file)
            }
            manifest.entries[file.path] = .init(sha256: hash, producer: producer)
        }
        if let recorded {
            for (path, entry) in recorded.entries.sorted(by: { $0.key < $1.key }) where entry.producer == producer && !produced.contains(path) {
                let url = try url(for: path)
                manifest.entries[path] = nil
                guard let existing = FileManager.default.contents(atPath: url.path) else { continue }
                if OwnershipManifest.sha256(existing) == entry.sha256 { plan.extra.append(path) } else { plan.released.append(path) }
            }
        }
        plan.litter = try litter()
        if recordsOwnership {
            plan.manifest = manifest
            let current = FileManager.default.contents(atPath: manifestURL.path)
            plan.manifestChanges = current != Data(manifest.rendered.utf8)
        }
        return plan
    }

    /// Temporary files left in the folder by a run that was killed (relative paths, sorted).
    func litter() throws(WriteError) -> [String] {
        guard FileManager.default.fileExists(atPath: root.path) else { return [] }
        var failure: String?
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil, options: []) { url, error in
            failure = "cannot read \(url.path): \(fileErrorReason(error))"
            return false
        }
        var found: [String] = []
        let prefix = root.path + "/"
        while let url = enumerator?.nextObject() as? URL {
            let name = url.lastPathComponent
            if name.hasPrefix(".keyway-"), name.hasSuffix(".tmp") || name.hasSuffix(".bak"), url.standardizedFileURL.path.hasPrefix(prefix) {
                found.append(String(url.standardizedFileURL.path.dropFirst(prefix.count)))
            }
        }
        if let failure { throw WriteError(failure + "; keyway will not write into a folder it cannot read") }
        return found.sorted()
    }

    /// Applies one plan (see `commit(_:)`).
    public func apply(_ plan: OutputPlan) throws(WriteError) {
        try Self.commit([(self, plan)])
    }

    /// Applies plans for one or more folders as one change. Under an exclusive lock on
    /// each folder: temporary files of interrupted runs are removed; every new file is
    /// written beside its target and every file to be replaced or removed gets a backup
    /// (a hard link); only then are the new files renamed into place and the removed ones
    /// unlinked, the ownership manifest last. If any step fails, every step done is undone
    /// from the backups, and the error says whether the folders are as they were.
    public static func commit(_ plans: [(writer: OutputWriter, plan: OutputPlan)]) throws(WriteError) {
        try commit(plans, failingAfter: nil)
    }

    /// `failingAfter`: tests make the commit fail after that many renames, as a full disk
    /// or an immutable file would, to prove the rollback.
    static func commit(_ plans: [(writer: OutputWriter, plan: OutputPlan)], failingAfter renames: Int?) throws(WriteError) {
        let fm = FileManager.default
        for (writer, plan) in plans where !plan.conflicts.isEmpty {
            throw WriteError("nothing was changed: " + plan.conflicts.map { "\(writer.display($0.path)): \($0.message)" }.joined(separator: "; "))
        }
        var createdFolders: [URL] = []
        var locks: [Int32] = []
        var staged: [(temp: URL, target: URL, backup: URL?)] = []
        var removals: [(target: URL, backup: URL)] = []
        defer { for fd in locks { close(fd) } }
        let tag = "\(getpid())"

        func undo(_ done: [(target: URL, backup: URL?)], _ removed: [(target: URL, backup: URL)]) -> [String] {
            var failed: [String] = []
            for r in removed.reversed() where rename(r.backup.path, r.target.path) != 0 { failed.append(r.target.path) }
            for d in done.reversed() {
                if let backup = d.backup {
                    if rename(backup.path, d.target.path) != 0 { failed.append(d.target.path) }
                } else if unlink(d.target.path) != 0 { failed.append(d.target.path) }
            }
            return failed
        }
        func discardStaging() {
            for s in staged {
                unlink(s.temp.path)
                if let b = s.backup { unlink(b.path) }
            }
            for r in removals { unlink(r.backup.path) }
            for folder in createdFolders.reversed() { try? fm.removeItem(at: folder) }
        }

        // Stage.
        do {
            for (writer, plan) in plans {
                var writes = plan.missing + plan.stale
                if writer.recordsOwnership && plan.manifestChanges {
                    writes.append(GeneratedFile(path: OwnershipManifest.fileName, contents: plan.manifest.rendered))
                }
                if writes.isEmpty && plan.extra.isEmpty && plan.litter.isEmpty { continue }
                if !fm.fileExists(atPath: writer.root.path) {
                    var missingFolders: [URL] = []
                    var f = writer.root
                    while !fm.fileExists(atPath: f.path) { missingFolders.append(f); f = f.deletingLastPathComponent() }
                    try fm.createDirectory(at: writer.root, withIntermediateDirectories: true)
                    createdFolders += missingFolders.reversed()
                }
                let fd = open(writer.root.path, O_RDONLY)
                guard fd >= 0 else { throw WriteError("cannot open \(writer.root.path): \(String(cString: strerror(errno)))") }
                locks.append(fd)
                guard flock(fd, LOCK_EX) == 0 else { throw WriteError("cannot lock \(writer.root.path): \(String(cString: strerror(errno)))") }
                // Under the lock, every keyway temporary file is an interrupted run's.
                for path in try writer.litter() { unlink(writer.root.appendingPathComponent(path).path) }
                for file in writes {
                    let target = file.path == OwnershipManifest.fileName ? writer.manifestURL : try writer.url(for: file.path)
                    let folder = target.deletingLastPathComponent()
                    var missingFolders: [URL] = []
                    var f = folder
                    while !fm.fileExists(atPath: f.path) { missingFolders.append(f); f = f.deletingLastPathComponent() }
                    try fm.createDirectory(at: folder, withIntermediateDirectories: true)
                    createdFolders += missingFolders.reversed()
                    let temp = folder.appendingPathComponent(".keyway-\(target.lastPathComponent).\(tag).tmp")
                    do { try Data(file.contents.utf8).write(to: temp) } catch {
                        unlink(temp.path)
                        throw WriteError("cannot write \(target.path): \(fileErrorReason(error))")
                    }
                    var backup: URL?
                    if fm.fileExists(atPath: target.path) {
                        let b = folder.appendingPathComponent(".keyway-\(target.lastPathComponent).\(tag).bak")
                        guard link(target.path, b.path) == 0 else {
                            let reason = String(cString: strerror(errno))
                            unlink(temp.path)
                            throw WriteError("cannot back up \(target.path): \(reason)")
                        }
                        backup = b
                    }
                    staged.append((temp, target, backup))
                }
                for path in plan.extra {
                    let target = try writer.url(for: path)
                    let b = target.deletingLastPathComponent().appendingPathComponent(".keyway-\(target.lastPathComponent).\(tag).bak")
                    guard link(target.path, b.path) == 0 else { throw WriteError("cannot back up \(target.path): \(String(cString: strerror(errno)))") }
                    removals.append((target, b))
                }
            }
        } catch {
            discardStaging()
            let message = (error as? WriteError)?.description ?? fileErrorReason(error)
            throw WriteError("\(message); nothing was changed")
        }

        // Commit: new bytes first (the manifest is staged last), then removals.
        var done: [(target: URL, backup: URL?)] = []
        var removed: [(target: URL, backup: URL)] = []
        var failure: String?
        for s in staged {
            if done.count == renames {
                failure = "cannot move \(s.target.path) into place: injected failure"
                break
            }
            if rename(s.temp.path, s.target.path) != 0 {
                failure = "cannot move \(s.target.path) into place: \(String(cString: strerror(errno)))"
                break
            }
            done.append((s.target, s.backup))
        }
        if failure == nil {
            for r in removals {
                if unlink(r.target.path) != 0 {
                    failure = "cannot remove \(r.target.path): \(String(cString: strerror(errno)))"
                    break
                }
                removed.append(r)
            }
        }
        if let failure {
            let failed = undo(done, removed)
            let undoneTargets = Set(done.map(\.target.path) + removed.map(\.target.path))
            for s in staged where !undoneTargets.contains(s.target.path) {
                unlink(s.temp.path)
                if let b = s.backup { unlink(b.path) }
            }
            for r in removals where !undoneTargets.contains(r.target.path) { unlink(r.backup.path) }
            if failed.isEmpty {
                for folder in createdFolders.reversed() { try? fm.removeItem(at: folder) }
                throw WriteError("\(failure); every file was put back: the output is as it was before the run")
            }
            throw WriteError("\(failure); could not put back \(failed.joined(separator: ", ")): their previous bytes are in the .keyway-*.\(tag).bak file beside each; the other files are as they were")
        }
        for s in staged { if let b = s.backup { unlink(b.path) } }
        for r in removals { unlink(r.backup.path) }
    }
}
