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
    /// The folders keyway's files are in (relative to the root; "" is the root), each once
    /// as the file system names it (by its bytes), in byte order: where it looks for
    /// temporary files of an interrupted run.
    public var folders: [String] = [""]
    /// The ownership manifest after the run, and whether what it says changes.
    public var manifest = OwnershipManifest()
    public var manifestChanges = false
    /// The record says the same, but in an earlier keyway's format (SHA-256): `generate`
    /// rewrites it; `check` does not call it stale.
    public var upgradesRecord = false

    public var isUpToDate: Bool { missing.isEmpty && stale.isEmpty && extra.isEmpty && conflicts.isEmpty && litter.isEmpty && !manifestChanges }

    public struct Conflict: Sendable, Equatable {
        public enum Reason: String, Sendable { case notOwned = "not-owned", edited }
        public var path: String
        public var reason: Reason

        public var message: String { message(force: "pass --force") }

        /// The message, with `force` as the way to go ahead anyway (`check`, which has no
        /// --force, names the command that has).
        public func message(force: String) -> String {
            switch reason {
            case .notOwned: "keyway did not write this file (it is not in \(OwnershipManifest.fileName)) and would replace it; move it away, or \(force) to let keyway take it over"
            case .edited: "this file was edited since keyway wrote it (its bytes differ from \(OwnershipManifest.fileName)); move your change into the manifests or a template, or \(force) to overwrite it"
            }
        }
    }
}

/// Why the write path stopped: where (a file or folder of the output, a line of the
/// ownership record) and what to do.
public struct WriteError: Error, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(at location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    /// A problem of the file or folder at `path` as a whole.
    public init(at path: String, _ message: String) {
        self.init(at: .start(of: path), message)
    }

    public var diagnostic: Diagnostic { .error(location, message) }
    public var description: String { diagnostic.formatted }
}

/// Stage 4, the only side effect: brings an output folder to exactly the generated files,
/// through one path for every command: plan (read only), then stage every new byte and a
/// backup of every file it replaces or removes beside it, then commit by renames; a failure
/// rolls back from the backups. keyway replaces or removes only files that
/// `.keyway-manifest` says it owns, with their recorded bytes; nothing is written outside
/// the folder.
public struct OutputWriter: Sendable {
    /// The folder, as given (relative to the working directory, or absolute): never
    /// expanded (`~` is a folder named `~`) or standardized behind the caller's back.
    public let root: String
    public let producer: Producer
    /// Whether the folder keeps a `.keyway-manifest` (false for a folder of another tool's,
    /// like `supabase/migrations`, where keyway only ever adds new files).
    public let recordsOwnership: Bool

    public init(outputFolder: String, producer: Producer = .generate, recordsOwnership: Bool = true) {
        var root = outputFolder
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root.isEmpty ? "." : root
        self.producer = producer
        self.recordsOwnership = recordsOwnership
    }

    /// Refuses a path that is absolute, empty, or climbs out of the output folder. The
    /// checks are on bytes, as the file system reads the path: every character they look
    /// for is ASCII, and an ASCII byte never occurs inside another character's UTF-8.
    public static func checkRelativePath(_ path: String) throws(WriteError) {
        guard let problem = pathProblem(path.utf8) else { return }
        let reason = switch problem {
        case .notRelative: "not a relative path inside the output folder"
        case .part: "paths inside the output folder must not contain empty, '.' or '..' parts"
        case .reserved: "names starting with '.keyway-' are reserved for keyway's record and temporary files"
        }
        throw WriteError(at: path, "refusing to write '\(path.forDiagnostic)': \(reason)")
    }

    /// What makes a path unusable, from the least grave: a part starting with `.keyway-`;
    /// a part empty, `.` or `..`; empty, absolute, a backslash or NUL (not relative).
    private enum PathProblem: Comparable { case reserved, part, notRelative }

    /// The gravest problem of a path, in one pass over its bytes; nil for a good one. A part
    /// is not collected: its length, its dots and how much of it matches `.keyway-` so far
    /// say all the rules ask.
    private static func pathProblem(_ bytes: String.UTF8View) -> PathProblem? {
        guard let first = bytes.first, first != UInt8(ascii: "/") else { return .notRelative }
        let prefix = reservedPrefix
        var found: PathProblem?
        var length = 0, dots = 0, matched = 0
        func endPart() {
            let problem: PathProblem? = length == 0 || (dots == length && length <= 2) ? .part
                : matched == prefix.count ? .reserved : nil
            if let problem, found.map({ problem > $0 }) ?? true { found = problem }
            (length, dots, matched) = (0, 0, 0)
        }
        for b in bytes {
            if b == UInt8(ascii: "\\") || b == 0 { return .notRelative }
            if b == UInt8(ascii: "/") {
                endPart()
            } else {
                if b == UInt8(ascii: ".") { dots += 1 }
                if matched == length, matched < prefix.count, b == prefix[matched] { matched += 1 }
                length += 1
            }
        }
        endPart()
        return found
    }

    private static let reservedPrefix = Array(".keyway-".utf8)

    /// The file's absolute path, after checking that it stays inside the folder even
    /// through symbolic links in the folders that already exist.
    func path(for path: String) throws(WriteError) -> String {
        var guardian = PathGuard(root: root)
        return try guardian.path(for: path)
    }

    /// Decides, once per folder, whether files written in it stay inside the output folder:
    /// the deepest folder on the way that exists, with its symbolic links resolved, must be
    /// the output folder or inside it (a file's own name cannot climb out: see
    /// `checkRelativePath`).
    struct PathGuard {
        let root: String
        let realRoot: String
        // Folders by their bytes: Swift compares strings by canonical equivalence, and the
        // file system does not (`é` and `e` + U+0301 are two folders, one maybe a link).
        private var inside: [[UInt8]: Bool] = [:]
        /// The folders (relative to the root, as bytes) found not to exist: nothing is in
        /// them yet.
        private(set) var absent: Set<[UInt8]> = []

        /// The folder of a path relative to the root, as `inside` and `absent` key it.
        static func folderKey(of path: String) -> [UInt8] { Array(folder(of: path).utf8) }

        /// The folder of a path relative to the root ("" for the root itself).
        static func folder(of path: Substring) -> Substring {
            path.utf8.lastIndex(of: UInt8(ascii: "/")).map { path[..<$0] } ?? ""
        }

        static func folder(of path: String) -> Substring { folder(of: path[...]) }

        init(root: String) {
            self.root = root
            realRoot = FileSystem.resolved(root)
        }

        mutating func path(for path: String) throws(WriteError) -> String {
            try OutputWriter.checkRelativePath(path)
            let folder = Self.folder(of: path)
            let key = Array(folder.utf8)
            let verdict: Bool
            if let known = inside[key] {
                verdict = known
            } else {
                var ancestor = folder.isEmpty ? root : root + "/" + folder
                if !FileSystem.exists(ancestor) {
                    absent.insert(key)
                    while ancestor.utf8.count > root.utf8.count, let slash = ancestor.utf8.lastIndex(of: UInt8(ascii: "/")) {
                        ancestor = String(ancestor[..<slash])
                        if FileSystem.exists(ancestor) { break }
                    }
                }
                let real = FileSystem.resolved(ancestor)
                verdict = real.utf8.elementsEqual(realRoot.utf8) || real.utf8.starts(with: (realRoot == "/" ? "/" : realRoot + "/").utf8)
                inside[key] = verdict
                if verdict && ancestor != root && !FileSystem.isFolder(ancestor) {
                    throw WriteError(at: shown(String(ancestor.dropFirst(root.count + 1))), "is a file where '\(path.forDiagnostic)' needs a folder; move it away, or choose another folder")
                }
            }
            guard verdict else { throw WriteError(at: shown(path), "refusing to write '\(path.forDiagnostic)': it resolves outside the output folder") }
            return root == "/" ? "/" + path : root + "/" + path
        }

        /// A path inside the root as messages show it (`Generated/x`, `x` for the working directory).
        func shown(_ path: String) -> String { root == "." ? path : root == "/" ? "/" + path : root + "/" + path }
    }

    var manifestPath: String { root == "/" ? "/" + OwnershipManifest.fileName : root + "/" + OwnershipManifest.fileName }

    /// The recorded ownership, or nil when the folder has no manifest yet.
    func readManifest() throws(WriteError) -> OwnershipManifest? {
        guard recordsOwnership else { return nil }
        switch FileSystem.contents(manifestPath) {
        case .absent: return nil
        case .folder, .unreadable:
            throw WriteError(at: display(OwnershipManifest.fileName), "cannot read keyway's record of the files it owns; make it a readable file, or restore it from version control")
        case .bytes(let bytes):
            return try OwnershipManifest.parse(bytes, display: display(OwnershipManifest.fileName))
        }
    }

    func display(_ path: String) -> String { root == "/" ? "/" + path : root + "/" + path }

    /// Files a folder without a record still counts as keyway's, once: those whose first
    /// line (second, after a JSON object's brace) carries keyway's header, and the history
    /// files only keyway writes. Only at paths keyway produces: nothing is removed this way.
    static func adoptableWithoutManifest(_ path: String, _ existing: [UInt8]) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name == "keyway.sum" || path.hasSuffix("Migrations/schema.json") { return true }
        let head = existing.prefix(512).split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false).prefix(2)
        return head.contains { String(decoding: $0, as: UTF8.self).contains(GeneratedFile.marker) }
    }

    /// What the plan found for one file.
    private enum Finding {
        case missing, unchanged, stale, edited, notOwned
    }

    /// Reads the folder and decides, for every file, what the run does. Changes nothing.
    /// The files are read, compared and hashed on all cores; what is decided, and the first
    /// error, are those of a run in path order.
    public func plan(_ files: [GeneratedFile], force: Bool = false) throws(WriteError) -> OutputPlan {
        var plan = OutputPlan()
        if FileSystem.exists(root) && !FileSystem.isFolder(root) {
            throw WriteError(at: root, "is a file, where keyway needs a folder to write into; move it away, or choose another folder")
        }
        let recorded = try readManifest()
        var manifest = recorded ?? OwnershipManifest()
        // A folder (or a command) that keyway has not recorded yet: files with its header
        // at the paths it produces are taken over once.
        let firstRecord = recorded.map { !$0.entries.values.contains { $0.producer == producer } } ?? true
        let sorted = files.sorted { $0.path < $1.path }
        // Where each file goes, checked folder by folder (few folders, many files).
        var guardian = PathGuard(root: root)
        let targets: [Result<String, WriteError>] = sorted.map { file in
            do throws(WriteError) { return .success(try guardian.path(for: file.path)) } catch { return .failure(error) }
        }
        let recordsOwnership = recordsOwnership
        let absentFolders = guardian.absent
        let findings: [Result<(Finding, String), WriteError>] = Parallel.map(Array(zip(sorted, targets))) { file, target in
            guard case .success(let path) = target else { return .failure(target.failureValue!) }
            var contents = file.contents
            let hash = contents.withUTF8 { OwnershipManifest.hash(UnsafeRawBufferPointer($0)) }
            // In a folder that is not there (a first run): missing, without a look each.
            if !absentFolders.isEmpty, absentFolders.contains(PathGuard.folderKey(of: file.path)) {
                return .success((.missing, hash))
            }
            switch FileSystem.contents(path) {
            case .absent:
                return .success((.missing, hash))
            case .folder:
                return .failure(WriteError(at: display(file.path), "cannot write the file: a folder is in the way; move it"))
            case .unreadable:
                return .failure(WriteError(at: display(file.path), "cannot read the file to compare it; make it readable"))
            case .bytes(let existing):
                let same = contents.withUTF8 { new in existing.withUnsafeBytes { old in new.count == old.count && (new.count == 0 || memcmp(new.baseAddress!, old.baseAddress!, new.count) == 0) } }
                if same { return .success((.unchanged, hash)) }
                if let entry = recorded?.entries[file.path] {
                    return .success((entry.matches(existing) || force ? .stale : .edited, hash))
                }
                if force || (recordsOwnership && firstRecord && Self.adoptableWithoutManifest(file.path, existing)) {
                    return .success((.stale, hash))
                }
                return .success((.notOwned, hash))
            }
        }
        var produced = Set<String>()
        for (file, finding) in zip(sorted, findings) {
            guard produced.insert(file.path).inserted else { throw WriteError(at: display(file.path), "two emitters produce this file") }
            if file.path == OwnershipManifest.fileName { throw WriteError(at: display(file.path), "an emitter produces keyway's own ownership file") }
            let (what, hash) = try finding.get()
            switch what {
            case .missing: plan.missing.append(file)
            case .unchanged: plan.unchanged.append(file.path)
            case .stale: plan.stale.append(file)
            case .edited: plan.conflicts.append(.init(path: file.path, reason: .edited))
            case .notOwned: plan.conflicts.append(.init(path: file.path, reason: .notOwned))
            }
            manifest.entries[file.path] = .init(hash: hash, producer: producer)
        }
        if let recorded {
            for (path, entry) in recorded.entries.sorted(by: { $0.key < $1.key }) where entry.producer == producer && !produced.contains(path) {
                let target = try guardian.path(for: path)
                manifest.entries[path] = nil
                guard case .bytes(let existing) = FileSystem.contents(target) else { continue }
                if entry.matches(existing) { plan.extra.append(path) } else { plan.released.append(path) }
            }
        }
        // A migration, once written, is history: `migrate diff` never removes a file.
        if producer == .migrations { plan.extra = [] }
        plan.folders = Self.folders(of: files, recorded)
        plan.litter = try litter(in: plan.folders)
        if recordsOwnership {
            plan.manifest = manifest
            if case .bytes(let current) = FileSystem.contents(manifestPath) {
                var rendered = manifest.rendered
                plan.manifestChanges = rendered.withUTF8 { !$0.elementsEqual(current) }
                // An earlier keyway's record of the same files is not stale, only old.
                if plan.manifestChanges, let recorded, recorded.hasLegacyHashes {
                    let produced = Dictionary(sorted.map { ($0.path, $0.contents) }, uniquingKeysWith: { a, _ in a })
                    if recorded.isEquivalent(to: manifest, contents: { produced[$0].map { Array($0.utf8) } }) {
                        plan.manifestChanges = false
                        plan.upgradesRecord = true
                    }
                }
            } else {
                plan.manifestChanges = true
            }
        }
        return plan
    }

    /// Temporary files a killed run left in `folders` (paths relative to the root, sorted):
    /// only the folders keyway writes or owns files in are looked at — not the whole tree
    /// under the root, which may hold another project's output (with its own temporary
    /// files, in use by its own run) or, for a root like `/`, the whole system.
    func litter(in folders: [String]) throws(WriteError) -> [String] {
        var found: [String] = []
        for relative in folders {
            let folder = relative.isEmpty ? root : display(relative)
            guard let dir = opendir(folder) else {
                if errno == ENOENT || errno == ENOTDIR { continue }
                throw WriteError(at: folder, "cannot read the folder (\(FileSystem.reason(errno))); keyway will not write into a folder it cannot read")
            }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                guard name.hasPrefix(".keyway-"), name.hasSuffix(".tmp") || name.hasSuffix(".bak") else { continue }
                var info = stat()
                guard lstat(folder + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                found.append(relative.isEmpty ? name : relative + "/" + name)
            }
        }
        return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The folders (relative to the root) of the files `files` and `record` name, and the
    /// root itself: where keyway's files are, so where its temporary files can be. Split
    /// at each `/` byte and told apart by their bytes, as the file system does (a `/`
    /// before a combining mark is one Character with it; `é` and `e` + U+0301 are two
    /// folders, which Swift's `==` would take for one).
    static func folders(of files: [GeneratedFile], _ record: OwnershipManifest?) -> [String] {
        var seen: Set<[UInt8]> = [[]]
        var folders: [String] = [""]
        // Most files share the previous one's folder, already added.
        var previous: Substring = ""
        for path in files.map(\.path) + (record.map { Array($0.entries.keys) } ?? []) {
            var folder = PathGuard.folder(of: path)
            if folder.utf8.elementsEqual(previous.utf8) { continue }
            previous = folder
            // A folder seen before came with the folders above it.
            while !folder.isEmpty, seen.insert(Array(folder.utf8)).inserted {
                folders.append(String(folder))
                folder = PathGuard.folder(of: folder)
            }
        }
        return folders.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
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
            let first = plan.conflicts[0]
            throw WriteError(at: writer.display(first.path), first.message + "; nothing was changed")
        }
        // Each folder is locked once: two writers of one folder (spelled two ways) would
        // wait for each other forever. The command line reports it at the settings first.
        var seen: [String: String] = [:]
        for (writer, _) in plans {
            if let other = seen.updateValue(writer.root, forKey: LocalFolder.identity(of: writer.root)) {
                throw WriteError(at: writer.root, "is the same folder as \(other); one folder has one writer; nothing was changed")
            }
        }
        var createdFolders: [String] = []
        var locks: [Int32] = []
        var staged: [(temp: String, target: String, backup: String?)] = []
        var creations: [(file: GeneratedFile, target: String)] = []
        var removals: [(target: String, backup: String)] = []
        defer { for fd in locks { close(fd) } }
        let tag = "\(getpid())"

        func undo(_ done: [(target: String, backup: String?)], _ removed: [(target: String, backup: String)]) -> [String] {
            var failed: [String] = []
            for r in removed.reversed() where rename(r.backup, r.target) != 0 { failed.append(r.target) }
            for d in done.reversed() {
                if let backup = d.backup {
                    if rename(backup, d.target) != 0 { failed.append(d.target) }
                } else if unlink(d.target) != 0 { failed.append(d.target) }
            }
            return failed
        }
        func discardStaging() {
            for s in staged {
                unlink(s.temp)
                if let b = s.backup { unlink(b) }
            }
            for r in removals { unlink(r.backup) }
            for folder in createdFolders.reversed() { try? fm.removeItem(atPath: folder) }
        }
        // Folders made or found, by their bytes (Swift's `==` takes `é` and `e` + U+0301 for
        // one folder; the file system does not).
        var existingFolders = Set<[UInt8]>()
        /// Creates `folder` and the folders above it that are missing, remembering them
        /// (outermost first) so that a failed run removes them again.
        func makeFolder(_ folder: String) throws {
            if existingFolders.contains(Array(folder.utf8)) { return }
            var missing: [String] = []
            var f = folder
            // Up to the first folder that exists (a relative path may have no slash left).
            while !f.isEmpty, !FileSystem.exists(f) {
                missing.append(f)
                guard let slash = f.utf8.lastIndex(of: UInt8(ascii: "/")), slash != f.startIndex else { break }
                f = String(f[..<slash])
            }
            if !missing.isEmpty {
                try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
                createdFolders += missing.reversed()
            }
            existingFolders.insert(Array(folder.utf8))
        }
        func folder(of path: String) -> String { path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(path[..<$0]) } ?? "." }
        // After the '/' byte (`index(after:)` of the string would step over a combining mark
        // that follows it, and two names would share one temporary or backup name).
        func name(of path: String) -> Substring { path.utf8.lastIndex(of: UInt8(ascii: "/")).map { path[path.utf8.index(after: $0)...] } ?? path[...] }

        // Stage.
        do {
            for (writer, plan) in plans {
                var writes = plan.missing + plan.stale
                if writer.recordsOwnership && (plan.manifestChanges || plan.upgradesRecord) {
                    writes.append(GeneratedFile(path: OwnershipManifest.fileName, contents: plan.manifest.rendered))
                }
                if writes.isEmpty && plan.extra.isEmpty && plan.litter.isEmpty { continue }
                try makeFolder(writer.root)
                let fd = open(writer.root, O_RDONLY)
                guard fd >= 0 else { throw WriteError(at: writer.root, "cannot open the folder: \(String(cString: strerror(errno)))") }
                locks.append(fd)
                guard flock(fd, LOCK_EX) == 0 else { throw WriteError(at: writer.root, "cannot lock the folder: \(String(cString: strerror(errno)))") }
                // Under the lock, every keyway temporary file is an interrupted run's.
                for path in try writer.litter(in: plan.folders) { unlink(writer.display(path)) }
                var guardian = PathGuard(root: writer.root)
                // New files are created complete at commit where the system can (see
                // FileSystem.createComplete); the others are staged beside their targets.
                let createsComplete = !plan.missing.isEmpty && FileSystem.canCreateComplete(in: writer.root)
                var jobs: [(file: GeneratedFile, temp: String, target: String)] = []
                for (index, file) in writes.enumerated() {
                    let target = file.path == OwnershipManifest.fileName ? writer.manifestPath : try guardian.path(for: file.path)
                    let folder = folder(of: target)
                    try makeFolder(folder)
                    if createsComplete && index < plan.missing.count {
                        creations.append((file, target))
                    } else {
                        jobs.append((file, folder + "/.keyway-" + name(of: target) + "." + tag + ".tmp", target))
                    }
                }
                // The new bytes, written beside their targets on all cores.
                let failures = Parallel.map(Array(jobs.indices)) { FileSystem.write(jobs[$0].temp, jobs[$0].file.contents) }
                var firstFailure: WriteError?
                for (job, failure) in zip(jobs, failures) {
                    if let failure {
                        if firstFailure == nil { firstFailure = WriteError(at: job.target, "cannot write the file: \(FileSystem.reason(failure))") }
                        unlink(job.temp)
                    } else if firstFailure != nil {
                        unlink(job.temp)
                    } else {
                        staged.append((job.temp, job.target, nil))
                    }
                }
                if let firstFailure { throw firstFailure }
                // A backup (a hard link) of every file about to be replaced.
                for index in staged.indices.suffix(jobs.count) {
                    let target = staged[index].target
                    let b = folder(of: target) + "/.keyway-" + name(of: target) + "." + tag + ".bak"
                    if link(target, b) == 0 {
                        staged[index].backup = b
                    } else if errno != ENOENT {
                        throw WriteError(at: target, "cannot back up the file: \(String(cString: strerror(errno)))")
                    }
                }
                for path in plan.extra {
                    let target = try guardian.path(for: path)
                    let b = folder(of: target) + "/.keyway-" + name(of: target) + "." + tag + ".bak"
                    guard link(target, b) == 0 else { throw WriteError(at: target, "cannot back up the file: \(String(cString: strerror(errno)))") }
                    removals.append((target, b))
                }
            }
        } catch {
            discardStaging()
            if let error = error as? WriteError { throw WriteError(at: error.location, error.message + "; nothing was changed") }
            throw WriteError(at: plans.first?.writer.root ?? ".", "\(fileErrorReason(error)); nothing was changed")
        }

        // Commit: new bytes first (the manifest is staged last), then removals.
        var done: [(target: String, backup: String?)] = []
        var removed: [(target: String, backup: String)] = []
        var failure: (path: String, message: String)?
        // New files first, complete or not at all, on all cores (each takes its folder's
        // lock once, to link the file under its name: two cores in one folder seldom wait).
        if !creations.isEmpty {
            let allowed = min(renames ?? creations.count, creations.count)
            let results = Parallel.map(Array(0..<allowed)) { i in
                let target = creations[i].target, folder = folder(of: target)
                return FileSystem.createComplete(target, in: folder, creations[i].file.contents,
                                                 temporary: folder + "/.keyway-" + name(of: target) + "." + tag + ".tmp")
            }
            for (creation, result) in zip(creations, results) {
                switch result {
                case .created: done.append((creation.target, nil))
                case .failed(let code): if failure == nil { failure = (creation.target, "cannot create the file: \(FileSystem.reason(code))") }
                case .unsupported: if failure == nil { failure = (creation.target, "cannot create the file") }
                }
            }
            if failure == nil && allowed < creations.count { failure = (creations[allowed].target, "cannot move the file into place: injected failure") }
        }
        for s in staged where failure == nil {
            if done.count == renames {
                failure = (s.target, "cannot move the file into place: injected failure")
                break
            }
            if rename(s.temp, s.target) != 0 {
                failure = (s.target, "cannot move the file into place: \(String(cString: strerror(errno)))")
                break
            }
            done.append((s.target, s.backup))
        }
        if failure == nil {
            for r in removals {
                if unlink(r.target) != 0 {
                    failure = (r.target, "cannot remove the file: \(String(cString: strerror(errno)))")
                    break
                }
                removed.append(r)
            }
        }
        if let failure {
            let failed = undo(done, removed)
            let undoneTargets = Set(done.map(\.target) + removed.map(\.target))
            for s in staged where !undoneTargets.contains(s.target) {
                unlink(s.temp)
                if let b = s.backup { unlink(b) }
            }
            for r in removals where !undoneTargets.contains(r.target) { unlink(r.backup) }
            if failed.isEmpty {
                for folder in createdFolders.reversed() { try? fm.removeItem(atPath: folder) }
                throw WriteError(at: failure.path, "\(failure.message); every file was put back: the output is as it was before the run")
            }
            throw WriteError(at: failure.path, "\(failure.message); could not put back \(failed.joined(separator: ", ")): their previous bytes are in the .keyway-*.\(tag).bak file beside each; the other files are as they were")
        }
        for s in staged { if let b = s.backup { unlink(b) } }
        for r in removals { unlink(r.backup) }
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
