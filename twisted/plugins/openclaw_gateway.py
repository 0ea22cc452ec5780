from twisted.application.service import ServiceMaker

openclawGateway = ServiceMaker(
    "OpenClaw Gateway",
    "openclaw.gateway.tap",
    "OpenClaw gateway: WebSocket control protocol and HTTP on one port",
    "openclaw-gateway",
)
