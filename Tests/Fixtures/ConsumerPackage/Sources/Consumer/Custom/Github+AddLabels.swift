// Hand-written: the manifest says `request: custom` for add_labels, so the generated tool
// has no request builder and the build fails until this one exists.
// GitHub takes the labels as a bare JSON array (["bug"]), which no object body expresses.

import Foundation
import KeywayRuntime

extension Github.AddLabels {
    public static func makeRequest(_ input: Input) throws(ToolFailure) -> ToolRequest {
        // The path as keyway builds it (each value one percent-encoded segment)...
        var request = try ToolRequest.standard(
            method: method, endpoint: endpoint,
            input: .object(["owner": .string(input.owner), "repo": .string(input.repo), "issue_number": .number(Double(input.issueNumber))]),
            locations: ["owner": .path, "repo": .path, "issue_number": .path])
        // ...and the body as GitHub wants it.
        request.body = JSONValue.array(input.labels.map(JSONValue.string)).jsonData
        request.headers.append(("Content-Type", "application/json"))
        return request
    }
}
