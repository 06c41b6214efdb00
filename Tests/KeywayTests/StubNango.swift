import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP server on loopback that stands in for Nango's API: it records every
/// request and answers what the test tells it to, like Nango does (JSON bodies,
/// 401, 429 with Retry-After, 500).
final class StubNango: @unchecked Sendable {
    struct Recorded: Sendable {
        var method: String
        var path: String
        var query: [(String, String)]
        var headers: [(String, String)]
        var body: Data
        /// The request target exactly as it arrived (path and query, still percent-encoded).
        var target: String = ""

        func header(_ name: String) -> String? { headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1 }
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    }

    struct Reply: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var body: String = #"{"ok": true}"#
        /// Never answer: the request hangs until the client gives up, and its connection
        /// closing is recorded in `abandoned`.
        var hold = false
    }

    private let lock = NSLock()
    private var recorded: [Recorded] = []
    private var abandonedTargets: [String] = []
    private var respond: @Sendable (Recorded) -> Reply = { _ in Reply() }
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel!
    var port: Int { channel.localAddress!.port! }
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    init() throws {
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    deinit {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    func onRequest(_ respond: @escaping @Sendable (Recorded) -> Reply) {
        lock.withLock { self.respond = respond }
    }

    var requests: [Recorded] { lock.withLock { recorded } }

    /// The targets of held requests whose client closed the connection, in order.
    var abandoned: [String] { lock.withLock { abandonedTargets } }

    fileprivate func abandon(_ target: String) {
        lock.withLock { abandonedTargets.append(target) }
    }

    fileprivate func handle(_ request: Recorded) -> Reply {
        lock.withLock {
            recorded.append(request)
            return respond(request)
        }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: StubNango
        var head: HTTPRequestHead?
        var body = ByteBuffer()
        /// The target of a request left unanswered (`Reply.hold`).
        var held: String?

        init(server: StubNango) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var part):
                body.writeBuffer(&part)
            case .end:
                guard let head else { return }
                let components = URLComponents(string: head.uri)
                let recorded = Recorded(
                    method: head.method.rawValue, path: components?.percentEncodedPath ?? head.uri,
                    query: (components?.queryItems ?? []).map { ($0.name, $0.value ?? "") },
                    headers: head.headers.map { ($0.name, $0.value) }, body: Data(body.readableBytesView), target: head.uri)
                let reply = server.handle(recorded)
                if reply.hold {
                    held = recorded.target
                    return
                }
                var headers = HTTPHeaders(reply.headers)
                headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: reply.status), headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if let held { server.abandon(held) }
            held = nil
            context.fireChannelInactive()
        }
    }
}
