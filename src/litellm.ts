/**
 * The LiteLLM client, from one import: the client (litellm/client.ts), its
 * typed errors and their stable codes (litellm/errors.ts), the shapes it
 * reads and yields (litellm/types.ts), and the HTTP it sends with
 * (litellm/transport.ts).
 *
 * @module
 */
export { LiteLLMClient, type LiteLLMClientOptions, liteLLMRoot } from "./litellm/client.ts";
export {
  describeLiteLLMFailure,
  LITELLM_ERROR_CODES,
  LiteLLMError,
  type LiteLLMErrorCode,
  type LiteLLMErrorDetails,
  type LiteLLMErrorKind,
} from "./litellm/errors.ts";
export { defaultTransport, fetchTransport, nodeHttpTransport, type Transport } from "./litellm/transport.ts";
export type {
  ChatCost,
  ChatEvent,
  ChatMessage,
  ChatRequest,
  ChatRole,
  ChatTool,
  ChatToolCallMessage,
  ModelDetails,
  ModelEntry,
  ModelList,
  TokenUsage,
  ToolCall,
} from "./litellm/types.ts";
