export { AgentClient, AgentUnavailableError, type AgentClientOptions, type AgentResult, type AgentRunOptions } from './client';
export { FRAME_MAGIC, PROTOCOL_VERSION, encodeFrame, type Frame } from './frame';
export { FrameDecoder, type DamagedFrame, type FrameHandlers } from './frame-decoder';
