import Foundation
import KeywayCore
import KeywayFiles
import KeywayModel
import Testing

/// The stages read through `Folder` only: the same manifests in memory and on disk give
/// the same catalog, the same files and the same diagnostics (named by the folder's path).
@Suite("Stages read folders, not the file system")
struct FolderTests {
    /// Every file under a folder of the disk, by relative path.
    static func memory(_ path: String, as name: String) throws -> MemoryFolder {
        let root = packageRoot.appendingPathComponent(path)
        var files: [String: [UInt8]] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
        while let relative = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(relative).path, isDirectory: &isFolder), !isFolder.boolValue {
                files[relative] = Array(try #require(FileManager.default.contents(atPath: root.appendingPathComponent(relative).path)))
            }
        }
        return MemoryFolder(path: name, files: files)
    }

    @Test("Manifests/ in memory: the catalog and every generated file are the disk's", arguments: ["Manifests", "Tests/Fixtures/HostileManifests"])
    func generateInMemory(_ path: String) throws {
        let memory = try Self.memory(path, as: packageRoot.appendingPathComponent(path).path)
        let templates = try Pipeline.templates(overrides: nil)
        let fromMemory = try Pipeline.generate(manifests: memory, templates: templates)
        let fromDisk = try Pipeline.generate(manifests: LocalFolder(packageRoot.appendingPathComponent(path).path), templates: templates)
        #expect(fromMemory.catalog == fromDisk.catalog)
        #expect(fromMemory.files == fromDisk.files)
        #expect(fromMemory.diagnostics == fromDisk.diagnostics)
    }

    @Test("problems of a folder in memory are named by its path: a misplaced file, a file in place of a kind folder, an empty manifest")
    func diagnosticsInMemory() {
        let memory = MemoryFolder(path: "mem", texts: ["notes.yaml": "x: 1\n", "connectors": "a file\n", "integrations/a.yaml": "", "scopes/b.YAML": "y"])
        #expect(Pipeline.validate(manifests: memory).diagnostics.map(\.formatted) == [
            "mem/connectors:1:1: error: connectors is a file, not a folder; manifests live in connectors/<name>.yaml",
            "mem/integrations/a.yaml:1:1: error: the manifest is empty; write its fields or delete the file",
            "mem/notes.yaml:1:1: warning: not read: manifests live in integrations/, connectors/ or scopes/; move the file into one of them",
            "mem/scopes/b.YAML:1:1: warning: not read: manifests end in .yaml or .yml, in lower case; rename the file",
        ])
    }

    @Test("migrate diff reads the history through a folder and returns its files, as generate does")
    func migrateDiffInMemory() throws {
        let manifests = try Self.memory("Manifests", as: "Manifests")
        let output = try Self.memory("Generated", as: "Generated")
        // Generated/ holds the history of Manifests/: nothing to write.
        let same = try Pipeline.migrateDiff(manifests: manifests, output: output, name: "again", allowDestructive: false, templates: Pipeline.templates(overrides: nil))
        #expect(same.roots == [] && same.diff.isEmpty)
        // Without a history, the first migration of each dialect, the sums and the snapshot.
        let first = try Pipeline.migrateDiff(manifests: manifests, output: MemoryFolder(path: "out"), name: "initial", allowDestructive: false,
                                             templates: Pipeline.templates(overrides: nil))
        #expect(first.roots.map(\.folder) == ["out"])
        #expect(first.roots[0].files.map(\.path) == ["Migrations/postgres/0001_initial.sql", "Migrations/postgres/keyway.sum",
                                                     "Migrations/sqlite/0001_initial.sql", "Migrations/sqlite/keyway.sum", "Migrations/schema.json"])
        #expect(first.roots[0].producer == .migrations)
    }
}
