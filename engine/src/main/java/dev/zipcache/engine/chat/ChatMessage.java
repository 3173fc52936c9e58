package dev.zipcache.engine.chat;

import java.util.Locale;
import java.util.Objects;

/**
 * One message of a conversation.
 *
 * @param role    who speaks
 * @param content what is said, as plain text (a template may trim it, as the model's own template does)
 */
public record ChatMessage(Role role, String content) {

    /** The speakers a chat template knows. */
    public enum Role {
        SYSTEM, USER, ASSISTANT;

        /** The role's name as chat templates spell it: {@code system}, {@code user}, {@code assistant}. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
