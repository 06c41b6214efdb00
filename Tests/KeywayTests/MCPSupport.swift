import Foundation
import KeywayRuntime
import Testing

/// A child process whose output goes to files, waited for off the cooperative pool (the
/// tests serve HTTP in-process while a client runs).
struct Child: @unchecked Sendable {
    let pid: pid_t
    let stdout: String
    let stderr: String

    static func start(_ command: [String], environment: [String: String] = [:], stdout: String, stderr: String) throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // A fresh signal mask and default handlers: the spawning thread (a dispatch worker)
        // blocks most signals, and a child inheriting that would never see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw ChildError("\(command[0]): \(String(cString: strerror(spawned)))") }
        return Child(pid: pid, stdout: stdout, stderr: stderr)
    }

    /// The exit status (128 + signal when killed).
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }
        }
    }

    func output() -> String { (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "" }
    func errors() -> String { (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "" }

    /// Waits until the standard error holds `text` (at most `seconds`); its contents.
    func waitForError(containing text: String, seconds: Double = 30) async -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let contents = errors()
            if contents.contains(text) { return contents }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return errors()
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace` seconds.
    func stop(grace: Double = 10) async -> Int32 {
        kill(pid, SIGTERM)
        let waiter = Task { await wait() }
        let killer = Task {
            try await Task.sleep(for: .seconds(grace))
            kill(pid, SIGKILL)
        }
        let status = await waiter.value
        killer.cancel()
        return status
    }
}

struct ChildError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The Python MCP client (`Tests/Fixtures/mcp/client.py`, on the SDK) run on a plan:
/// what it saw, as JSON.
enum MCPClient {
    static let script = packageRoot.appendingPathComponent("Tests/Fixtures/mcp/client.py").path

    static func run(_ plan: KeywayRuntime.JSONValue, in dir: TempDir, timeout: Double = 300) async throws -> KeywayRuntime.JSONValue {
        let name = UUID().uuidString
        dir.write("\(name).plan.json", plan.jsonData)
        let child = try Child.start(Python.command + [script, dir.path + "/\(name).plan.json"],
                                    stdout: dir.path + "/\(name).out", stderr: dir.path + "/\(name).err")
        let killer = Task {
            try await Task.sleep(for: .seconds(timeout))
            kill(child.pid, SIGKILL)
        }
        let status = await child.wait()
        killer.cancel()
        guard status == 0, let output = try? KeywayRuntime.JSONValue(json: Data(child.output().utf8)) else {
            throw ChildError("the MCP client exited \(status): \(child.output())\n\(child.errors())")
        }
        return output
    }
}
