import Foundation
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles

/// A temporary folder that removes itself; manifests are written into it by name.
final class TempDir {
    let url: URL
    var path: String { url.path }

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("keyway-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ relative: String, _ contents: String) -> URL { write(relative, Data(contents.utf8)) }

    @discardableResult
    func write(_ relative: String, _ data: Data) -> URL {
        let file = url.appendingPathComponent(relative)
        try! FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! data.write(to: file)
        return file
    }

    /// Validates the folder (or `suffix` appended to its path); the folder lives until
    /// validation is done.
    func validate(suffix: String = "") -> ValidationResult {
        withExtendedLifetime(self) { Pipeline.validate(manifests: path + suffix) }
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: url.appendingPathComponent(relative).path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every file under the folder, relative path → bytes.
    func snapshot() -> [String: Data] {
        var files: [String: Data] = [:]
        let root = url.resolvingSymlinksInPath().path + "/"
        for case let file as URL in FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)! {
            var isDirectory: ObjCBool = false
            let path = file.resolvingSymlinksInPath().path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[String(path.dropFirst(root.count))] = FileManager.default.contents(atPath: path)
            }
        }
        return files
    }
}

/// The package's root folder (for Manifests/, Generated/, Templates/).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Small valid manifests that tests change one line at a time.
enum Fixture {
    static let integration = """
    key: mail
    provider: google-mail
    name: Mail
    category: email
    description: Send and read emails
    auth:
      mode: oauth2
      console: https://console.cloud.google.com/apis/credentials
      enable_apis: [Gmail API]
      scopes:
        - scope: https://www.googleapis.com/auth/gmail.send
          reason: Agents send email
      redirect_uris:
        production: https://api.nango.dev/oauth/callback
        development: http://localhost:3003/oauth/callback
      secrets:
        client_id: MAIL_CLIENT_ID
        client_secret: MAIL_CLIENT_SECRET

    """

    static let connector = """
    slug: mail
    name: Mail
    nango:
      provider_key: mail
    multiple_connections: true
    tools:
      - name: send_email
        description: Send an email
        method: POST
        endpoint: /gmail/v1/users/me/messages/send
        scopes: [https://www.googleapis.com/auth/gmail.send]
        input:
          to: { type: string, format: email, description: Recipient }

    """

    static let scopes = """
    provider: google
    providers: [google-mail]
    scopes:
      - scope: https://www.googleapis.com/auth/gmail.send
        level: sensitive
        description: Send email

    """

    /// A folder with the three fixture manifests, each replaceable.
    static func folder(integration: String = integration, connector: String = connector, scopes: String = scopes) -> TempDir {
        let dir = TempDir()
        dir.write("integrations/mail.yaml", integration)
        dir.write("connectors/mail.yaml", connector)
        dir.write("scopes/google.yaml", scopes)
        return dir
    }

    /// Diagnostics of validating a fixture folder, as `file:line:col: severity: message`
    /// with the folder's path removed.
    static func diagnostics(_ dir: TempDir) -> [Diagnostic] {
        dir.validate().diagnostics.map {
            var d = $0
            d.location.file = String(d.location.file.dropFirst(dir.path.count + 1))
            d.message = d.message.replacingOccurrences(of: dir.path + "/", with: "")
            return d
        }
    }
}

extension Diagnostic {
    /// `integrations/mail.yaml:3:7: error` — position and severity, for assertions.
    var position: String { "\(location.file):\(location.line):\(location.column): \(severity.rawValue)" }
}

extension String {
    /// Replaces exactly one occurrence of `old`; crashes the test when it is absent, so
    /// a fixture edit cannot silently do nothing.
    func replacing1(_ old: String, _ new: String) -> String {
        precondition(components(separatedBy: old).count == 2, "fixture does not contain exactly one '\(old)'")
        return replacingOccurrences(of: old, with: new)
    }
}

/// Runs the `keyway` binary built beside the tests.
struct KeywayRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static let binary: URL = {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("keyway")
    }()

    /// `environment`: variables set (or replaced) for this run only.
    static func run(_ arguments: [String], in directory: URL? = nil, executable: URL = binary, environment: [String: String] = [:]) throws -> KeywayRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return KeywayRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// The generated files of a folder of manifests, with the built-in templates.
func generateFiles(_ manifests: String) throws -> [GeneratedFile] {
    try Pipeline.generate(manifests: manifests, templates: Pipeline.templates(overrides: nil)).files
}

/// How the time of `work` grows with its input: the best of `tries` runs at `small` and at
/// `factor` × `small`, as t(large) / t(small), both measured in this run. Linear work gives
/// about `factor`, quadratic work its square: tests bound the ratio, never a duration.
func growthRatio(small: Int, factor: Int = 4, tries: Int = 3, _ work: (Int) throws -> Void) rethrows -> Double {
    func best(_ n: Int) throws -> Double {
        var fastest = Double.infinity
        for _ in 0..<tries {
            let start = DispatchTime.now().uptimeNanoseconds
            try work(n)
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return fastest
    }
    let smallTime = try best(small)
    return try best(small * factor) / max(smallTime, 1)
}
