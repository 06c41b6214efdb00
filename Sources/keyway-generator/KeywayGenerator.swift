import ArgumentParser
import KeywayCommandLine
import KeywayModel

/// The generator alone: what the build plugin runs. It links the loader, validator,
/// emitters and writer, and none of keyway's database drivers, TLS, OpenAPI or MCP, so a
/// package that adds the plugin does not compile them (see the Plugins article).
@main
struct KeywayGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyway-generator",
        abstract: "Validates integration manifests and generates keyway's artifacts from them (the commands of `keyway` that need no database).",
        version: KeywayVersion.current,
        subcommands: [Init.self, Validate.self, Generate.self, Check.self]
    )

    /// keyway's exit statuses (see `mainWithKeywayExitCodes`).
    static func main() async {
        await mainWithKeywayExitCodes()
    }
}
