// Calls the tools that KeywayPlugin generated from Manifests/ at build time, through
// Nango's proxy at the URL given as the first argument (keyway's test serves one on
// loopback), and prints what each call returned.

import Foundation
import KeywayRuntime

guard CommandLine.arguments.count == 2, let nango = URL(string: CommandLine.arguments[1]) else {
    FileHandle.standardError.write(Data("usage: Consumer NANGO_URL\n".utf8))
    exit(2)
}

let resolver = InMemoryConnectionResolver()
await resolver.set(owner: "tenant-1", providerConfigKey: Github.providerConfigKey, ResolvedConnection(connectionID: "conn-1"))
let executor = ToolExecutor(client: NangoClient(secretKey: "consumer-secret", baseURL: nango), resolver: resolver,
                            registry: AllTools.registry, retry: RetryPolicy(maxRetries: 0))

for tool in AllTools.tools {
    print("\(tool.qualifiedName): \(tool.method.rawValue) \(tool.endpoint) scopes=\(tool.scopes.joined(separator: ","))")
}

let calls: [(String, String)] = [
    ("github_list_issues", #"{"owner": "octocat", "repo": "hello-world"}"#),
    ("github_create_issue", #"{"owner": "octocat", "repo": "hello-world", "title": "Crash on launch", "body": "It *crashes*."}"#),
    ("github_add_labels", #"{"owner": "octocat", "repo": "hello world", "issue_number": 7, "labels": ["bug", "good first issue"]}"#),
    ("github_add_labels", #"{"owner": "octocat", "repo": "hello-world", "issue_number": 0, "labels": []}"#),
]
for (name, arguments) in calls {
    switch await executor.execute(tool: name, arguments: Data(arguments.utf8), owner: "tenant-1") {
    case .success(let value): print("\(name) -> \(String(decoding: value.jsonData, as: UTF8.self))")
    case .failure(let failure): print("\(name) failed: \(failure)")
    }
}
