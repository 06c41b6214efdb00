import Foundation
import HTTPTypes
import Hummingbird
import KeywayContract
import KeywayMCP
import KeywayRuntime
import MCP
import NIOCore

/// MCP 2026-07-28 over HTTP: every request a POST that stands alone, announced by its
/// `MCP-Protocol-Version` header and its `_meta` (protocol version, client info, client
/// capabilities), answered with one JSON response; no `initialize`, no `Mcp-Session-Id`.
/// So any replica behind a load balancer answers any request. The Swift SDK (0.12.1)
/// stops at 2025-11-25, so keyway writes this side by hand; the tools, limits, tenants
/// and connect links are the same `MCPToolServer` as in a session.
enum Stateless {
    static let version = "2026-07-28"
    static let meta = "io.modelcontextprotocol/"
}

extension MCPHTTPServer {
    func stateless(_ method: Hummingbird.HTTPRequest.Method, body: Data?, tenant: Tenant) async -> Hummingbird.Response {
        guard method == .post, let body else {
            return Self.json(status: .methodNotAllowed, headers: [.allow: "POST"],
                             Self.rpcError(id: .null, -32600, "Invalid Request: MCP \(Stateless.version) takes POST only"))
        }
        guard case .object(let message)? = try? KeywayContract.JSONValue(json: body) else {
            return Self.json(status: .badRequest, Self.rpcError(id: .null, -32700, "Parse error: the body is not a JSON-RPC message"))
        }
        guard case .string(let name)? = message["method"] else {
            return Self.json(status: .badRequest, Self.rpcError(id: message["id"] ?? .null, -32600, "Invalid Request: no method"))
        }
        // A notification (no id) needs no answer.
        guard let id = message["id"] else { return Hummingbird.Response(status: .accepted) }
        let params: [String: KeywayContract.JSONValue] = if case .object(let p)? = message["params"] { p } else { [:] }
        let meta: [String: KeywayContract.JSONValue] = if case .object(let m)? = params["_meta"] { m } else { [:] }
        let version = meta[Stateless.meta + "protocolVersion"]
        guard version == .string(Stateless.version) else {
            return Self.json(status: .badRequest, Self.rpcError(id: id, -32022, "Unsupported protocol version",
                                                                data: .object(["supported": .array([.string(Stateless.version)]), "requested": version ?? .null])))
        }
        switch name {
        case "server/discover":
            return Self.json(status: .ok, Self.rpcResult(id: id, .object([
                "supportedVersions": .array([.string(Stateless.version)]),
                "capabilities": .object(["tools": .object([:])]),
                "resultType": .string("complete"), "ttlMs": .number(0), "cacheScope": .string("private"),
                "_meta": .object([Stateless.meta + "serverInfo": .object(["name": .string(tools.name), "version": .string(tools.version)])]),
            ])))
        case "tools/list":
            var listed = Self.encoded(ListTools.Result(tools: tools.tools))
            listed["resultType"] = .string("complete")
            listed["ttlMs"] = .number(0)
            listed["cacheScope"] = .string("private")
            return Self.json(status: .ok, Self.rpcResult(id: id, .object(listed)))
        case "tools/call":
            guard case .string(let tool)? = params["name"] else {
                return Self.json(status: .badRequest, Self.rpcError(id: id, -32602, "Invalid params: 'name' must be the tool's name"))
            }
            var arguments: [String: Value]?
            if let given = params["arguments"] {
                guard case .object = given, let decoded = try? JSONDecoder().decode([String: Value].self, from: given.jsonData) else {
                    return Self.json(status: .badRequest, Self.rpcError(id: id, -32602, "Invalid params: 'arguments' must be an object"))
                }
                arguments = decoded
            }
            // A client that can send its user to a link, and did not just decline one.
            let capable = meta[Stateless.meta + "clientCapabilities"]?["elicitation"]?["url"] != nil
            var declined = false
            if case .object(let responses)? = params["inputResponses"] {
                declined = responses.values.contains { $0["action"] != .string("accept") }
            }
            do {
                var result = Self.encoded(try await tools.call(tool, arguments: arguments, tenant: tenant, urlElicitation: capable && !declined))
                result["resultType"] = .string("complete")
                return Self.json(status: .ok, Self.rpcResult(id: id, .object(result)))
            } catch MCPError.urlElicitationRequired(_, let elicitations) {
                // 2026-07-28's form: a result asking for input; the client sends the user to
                // the link, then calls again.
                var requests: [String: KeywayContract.JSONValue] = [:]
                for (i, elicitation) in elicitations.enumerated() {
                    requests["connect-\(i + 1)"] = .object(["method": .string("elicitation/create"), "params": .object([
                        "mode": .string("url"), "message": .string(elicitation.message), "url": .string(elicitation.url),
                    ])])
                }
                return Self.json(status: .ok, Self.rpcResult(id: id, .object([
                    "resultType": .string("input_required"), "inputRequests": .object(requests), "requestState": .string("connect"),
                ])))
            } catch let error as MCPError {
                return Self.json(status: .badRequest, Self.rpcError(id: id, error.code, error.localizedDescription))
            } catch {
                // Cancelled: the client went away; nothing reads this.
                return Hummingbird.Response(status: .noContent)
            }
        case "ping":
            return Self.json(status: .ok, Self.rpcResult(id: id, .object(["resultType": .string("complete")])))
        default:
            return Self.json(status: .notFound, Self.rpcError(id: id, -32601, "Method not found: \(name.prefix(100))"))
        }
    }

    /// An SDK value as keyway's JSON object.
    static func encoded(_ value: some Encodable) -> [String: KeywayContract.JSONValue] {
        guard let data = try? JSONEncoder().encode(value), case .object(let fields)? = try? KeywayContract.JSONValue(json: data) else { return [:] }
        return fields
    }

    static func rpcResult(id: KeywayContract.JSONValue, _ result: KeywayContract.JSONValue) -> KeywayContract.JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "result": result])
    }

    static func rpcError(id: KeywayContract.JSONValue, _ code: Int, _ message: String, data: KeywayContract.JSONValue? = nil) -> KeywayContract.JSONValue {
        var error: [String: KeywayContract.JSONValue] = ["code": .number(Double(code)), "message": .string(message)]
        if let data { error["data"] = data }
        return .object(["jsonrpc": .string("2.0"), "id": id, "error": .object(error)])
    }

    static func json(status: Hummingbird.HTTPResponse.Status, headers: HTTPFields = [:], _ body: KeywayContract.JSONValue) -> Hummingbird.Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Hummingbird.Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.jsonData)))
    }
}
