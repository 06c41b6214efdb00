import Foundation
import PackagePlugin

/// Generates a target's agent tools at build time from the target's own manifests.
///
/// The inputs live in the target's folder: its `keyway.yaml` when there is one (whose
/// `manifests:` and `templates:` name the folders to read, from the file's folder), else
/// its `Manifests/` folder. Every file of them is declared as an input of the build
/// command, so SwiftPM reruns `keyway-generator` only when one of them changes, or one is
/// added or removed. The outputs are the two files of the single-file Swift layout, whose
/// names are fixed, so they can be declared before the generator runs.
@main
struct KeywayPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else {
            throw KeywayPluginError("KeywayPlugin generates Swift: add it to a Swift target, not to '\(target.name)'")
        }
        let work = context.pluginWorkDirectoryURL
        let inputs = try KeywayInputs(targetName: target.name, folder: target.directoryURL, work: work)
        let swift = work.appendingPathComponent("Swift")
        return [
            .buildCommand(
                displayName: "keyway: generating the tools of \(target.name) from \(inputs.describe)",
                executable: try context.tool(named: "keyway-generator").url,
                // Every path is given, so neither the working directory of the build nor
                // what keyway.yaml says of outputs decides where anything is read or written:
                // the plugin's own folder takes the Swift, and nothing else is generated.
                arguments: ["generate"] + inputs.arguments + [
                    "--output", work.path,
                    "--artifacts", "swift",
                    "--swift-output", swift.path,
                    "--swift-layout", "single-file",
                ],
                environment: [:],
                inputFiles: inputs.files,
                outputFiles: KeywayInputs.swiftFiles.map { swift.appendingPathComponent($0) }
            ),
        ]
    }
}

/// What a target gives keyway: its `keyway.yaml` if any, its manifests folder and, when
/// keyway.yaml names one, its templates folder.
struct KeywayInputs {
    /// The files `--swift-layout single-file` writes, and nothing else.
    static let swiftFiles = ["IntegrationCatalog.swift", "Tools.swift"]

    /// The target's keyway.yaml, or an empty one in the plugin's folder (the defaults): the
    /// generator is always given one, so a keyway.yaml wherever the build runs is never read.
    var config: URL
    var hasOwnConfig: Bool
    var manifests: URL
    var templates: URL?
    /// Every input, sorted: keyway.yaml, then the manifests and templates folders with
    /// each folder and file under them.
    var files: [URL]

    init(targetName: String, folder: URL, work: URL) throws {
        let fileManager = FileManager.default
        let own = folder.appendingPathComponent("keyway.yaml")
        var settings = KeywayYAMLPaths()
        if fileManager.fileExists(atPath: own.path) {
            config = own
            hasOwnConfig = true
            settings = try KeywayYAMLPaths(reading: own)
        } else {
            config = work.appendingPathComponent("defaults/keyway.yaml")
            hasOwnConfig = false
            try Self.writeIfChanged("# keyway.yaml of a target without one: every setting at its default (written by KeywayPlugin)\n", to: config)
        }
        // As the generator reads keyway.yaml: a relative path is from the file's folder.
        func resolve(_ path: String) -> URL {
            (path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)).standardizedFileURL
        }
        manifests = resolve(settings.manifests ?? "Manifests")
        templates = settings.templates.map(resolve)
        guard Self.isFolder(manifests) else {
            throw KeywayPluginError(hasOwnConfig && settings.manifests != nil
                ? "\(own.path):1:1: error: KeywayPlugin: the manifests folder \(manifests.path) that keyway.yaml names does not exist"
                : """
                    KeywayPlugin found no manifests for target '\(targetName)': put them in \(manifests.path) \
                    (integrations/, connectors/ and scopes/ folders of YAML manifests), or run `keyway-generator init` in \(folder.path)
                    """)
        }
        if let templates, !Self.isFolder(templates) {
            throw KeywayPluginError("\(own.path):1:1: error: KeywayPlugin: the templates folder \(templates.path) that keyway.yaml names does not exist")
        }
        files = (hasOwnConfig ? [config] : []) + Self.files(under: manifests) + (templates.map(Self.files(under:)) ?? [])
    }

    /// The generator's arguments that name the inputs (the same paths the plugin declares).
    var arguments: [String] {
        ["--config", config.path, "--manifests", manifests.path] + (templates.map { ["--templates", $0.path] } ?? [])
    }

    var describe: String { hasOwnConfig ? "keyway.yaml" : "Manifests/" }

    static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// A folder, every folder under it and every regular file under it, sorted by path
    /// (hidden ones too: the build must rerun whenever anything the generator might read
    /// changes). A folder's own timestamp changes when a file is added to it or removed
    /// from it, so declaring the folders reruns the generator then too, even when SwiftPM
    /// does not invoke the plugin again (a target that excludes its manifests).
    static func files(under folder: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey]) else { return [folder] }
        var found: [URL] = [folder]
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey])
            if values?.isRegularFile == true || values?.isDirectory == true { found.append(url) }
        }
        return found.sorted { $0.path < $1.path }
    }

    /// Writes a file only when its bytes differ, so an unchanged build stays unchanged.
    static func writeIfChanged(_ text: String, to url: URL) throws {
        let data = Data(text.utf8)
        if FileManager.default.contents(atPath: url.path) == data { return }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }
}

/// The two settings of keyway.yaml that name input folders, read so that the plugin can
/// declare their files. Only plain top-level `key: value` lines are understood (quoted or
/// not, with a trailing comment); the generator reads the whole file strictly, so any
/// other spelling of these two keys is refused here rather than guessed at.
struct KeywayYAMLPaths {
    var manifests: String?
    var templates: String?

    init() {}

    init(reading url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw KeywayPluginError("\(url.path):1:1: error: KeywayPlugin cannot read keyway.yaml")
        }
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for key in ["manifests", "templates"] where line.hasPrefix(key + ":") {
                guard let value = Self.plainScalar(line.dropFirst(key.count + 1)) else {
                    throw KeywayPluginError("""
                        \(url.path):\(index + 1):1: error: KeywayPlugin reads '\(key):' as one path on its line \
                        (plain or quoted); write it so, e.g. \(key): \(key == "manifests" ? "Manifests" : "Templates")
                        """)
                }
                if key == "manifests" { manifests = value } else { templates = value }
            }
        }
    }

    /// `  Manifests   # comment` → `Manifests`; `"My Manifests"` → `My Manifests`; nil for
    /// anything else (flow collections, anchors, block scalars, an empty value).
    static func plainScalar(_ raw: Substring) -> String? {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)  // a CRLF file's \r too
        if let quote = text.first, quote == "\"" || quote == "'" {
            let rest = text.dropFirst()
            guard let end = rest.firstIndex(of: quote) else { return nil }
            let value = String(rest[..<end])
            let after = rest[rest.index(after: end)...].trimmingCharacters(in: .whitespaces)
            guard after.isEmpty || after.hasPrefix("#"), !value.isEmpty, !value.contains("\\") else { return nil }
            return value
        }
        if let comment = text.range(of: " #") { text = text[..<comment.lowerBound].trimmingCharacters(in: .whitespaces) }
        guard let first = text.first, !"[{&*!|>#%@`'\"".contains(first) else { return nil }
        return text
    }
}

struct KeywayPluginError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
