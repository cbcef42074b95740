/** One server-sent event; `event` is omitted for OpenAI Chat Completions, which sends bare `data:` lines. */
export interface SseEvent {
  event?: string;
  data: string;
}

export function formatSseEvent(event: SseEvent): string {
  return `${event.event !== undefined ? `event: ${event.event}\n` : ""}data: ${event.data}\n\n`;
}
