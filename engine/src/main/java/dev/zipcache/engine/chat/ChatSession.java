package dev.zipcache.engine.chat;

import dev.zipcache.engine.generate.ContextOverflowException;
import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.TokenListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A multi-turn conversation over one {@link Session}. Each {@link #send} renders the whole history with the chat
 * template, so the model always sees exactly what a fresh start would show it; the session's prefix reuse then
 * prefills only the tokens after what its KV cache already holds (the previous turns), as
 * {@code usage().cachedPromptTokens()} reports. Not thread-safe, like the session.
 *
 * <p><b>Truncation policy.</b> Before generating, the prompt must leave room for
 * {@code min(maxTokens, contextLength / 4)} answer tokens. While it does not, the oldest exchange (a user message and
 * the assistant's answer to it) is dropped from the history, for good; the system prompt and the new user message
 * are never dropped. Dropping changes the prompt's beginning, so that turn prefills the whole prompt again (later
 * turns reuse the cache as before). When the system prompt and the new message alone exceed the context, {@link #send}
 * throws {@link ContextOverflowException} and the history is unchanged. An answer that reaches the end of the context
 * stops with finish reason {@code LENGTH}.
 */
public final class ChatSession {

    private final Session session;
    private final ChatFormat format;
    private final String systemPrompt;
    /** User and assistant messages, oldest first (the system prompt is kept apart and never dropped). */
    private final List<ChatMessage> turns = new ArrayList<>();

    /**
     * @param session      the session whose KV cache holds the conversation; the chat session owns its history
     *                     from now on (another generation on it only costs cache reuse)
     * @param template     how messages become the prompt
     * @param systemPrompt the system message, or null for none
     */
    public ChatSession(Session session, ChatTemplate template, String systemPrompt) {
        this.session = session;
        this.format = new ChatFormat(template, session.model().tokenizer());
        this.systemPrompt = systemPrompt == null || systemPrompt.isBlank() ? null : systemPrompt;
    }

    /** A conversation in the model's own template ({@link ChatTemplate#forModel}). */
    public static ChatSession open(Session session, String systemPrompt) {
        return new ChatSession(session, ChatTemplate.forModel(session.model()), systemPrompt);
    }

    /**
     * Sends a user message and generates the answer, streaming it to {@code listener}. The answer joins the history
     * even when cancelled or cut by the token limit (the model did say it, and its tokens are in the cache).
     *
     * @throws ContextOverflowException when the system prompt and this message alone do not fit the context
     */
    public ChatReply send(String userText, ChatOptions options, TokenListener listener) {
        List<ChatMessage> candidate = new ArrayList<>(turns);
        candidate.add(ChatMessage.user(userText));
        int context = session.model().config().contextLength();
        int answerRoom = Math.max(1, Math.min(options.maxTokens(), context / 4));
        int dropped = 0;
        int[] prompt = tokenize(candidate);
        while (prompt.length + answerRoom > context) {
            int droppedNow = dropOldestExchange(candidate);
            if (droppedNow == 0) {
                break; // nothing left to drop: the session reports an overflow, or the answer gets less room
            }
            dropped += droppedNow;
            prompt = tokenize(candidate);
        }
        GenerationRequest request = format.request(prompt, options);
        GenerationResult result = session.generate(request, listener);
        turns.clear();
        turns.addAll(candidate);
        turns.add(ChatMessage.assistant(result.text()));
        return new ChatReply(result.text(), result, dropped);
    }

    /** Removes the oldest user message and the answers after it, never the newest (last) message. */
    private static int dropOldestExchange(List<ChatMessage> candidate) {
        int end = 1;
        while (end < candidate.size() - 1 && candidate.get(end).role() != ChatMessage.Role.USER) {
            end++;
        }
        if (end >= candidate.size()) {
            return 0;
        }
        candidate.subList(0, end).clear();
        return end;
    }

    private int[] tokenize(List<ChatMessage> conversation) {
        return format.promptTokens(withSystem(conversation));
    }

    private List<ChatMessage> withSystem(List<ChatMessage> conversation) {
        if (systemPrompt == null) {
            return conversation;
        }
        List<ChatMessage> all = new ArrayList<>(conversation.size() + 1);
        all.add(ChatMessage.system(systemPrompt));
        all.addAll(conversation);
        return all;
    }

    /** The prompt the next answer would follow, as text (for display and debugging). */
    public String renderedPrompt() {
        return format.render(withSystem(turns), true);
    }

    /** The whole conversation, the system prompt first. */
    public List<ChatMessage> messages() {
        return List.copyOf(withSystem(turns));
    }

    /** Exchanges (answers) so far, dropped ones excluded. */
    public int answers() {
        return (int) turns.stream().filter(message -> message.role() == ChatMessage.Role.ASSISTANT).count();
    }

    /** Forgets every turn but keeps the system prompt; the KV cache is emptied. */
    public void reset() {
        turns.clear();
        session.reset();
    }

    public ChatTemplate template() {
        return format.template();
    }

    public Session session() {
        return session;
    }

    /** The token ids that end an answer besides the model's own end-of-generation tokens. */
    public Set<Integer> endOfTurnTokens() {
        return format.endOfTurnTokens();
    }
}
