import KeywayCore
import KeywayFiles
import KeywayModel

/// The command line's edge to the file system: the folders and files a configuration
/// names, as `LocalFolder`s the stages read through.
extension ProjectConfig {
    /// `keyway.yaml`: the file at `path` (`--config`), else `keyway.yaml` of the working
    /// directory when there is one, else the defaults.
    public static func load(path: String?) throws(DiagnosticsError) -> ProjectConfig {
        guard let path else { return try Pipeline.projectConfig(fileName, in: LocalFolder(""), required: false) }
        let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        let folder = slash.map { String(path[..<$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return try Pipeline.projectConfig(name, in: LocalFolder(path.hasPrefix("/") && folder.isEmpty ? "/" : folder), required: true)
    }

    public var manifestsFolder: LocalFolder { LocalFolder(manifests) }
    public var templatesFolder: LocalFolder? { templates.map(LocalFolder.init) }
    public var outputFolder: LocalFolder { LocalFolder(output) }
}
