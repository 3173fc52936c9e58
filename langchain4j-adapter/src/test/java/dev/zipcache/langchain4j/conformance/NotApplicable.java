package dev.zipcache.langchain4j.conformance;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.reflect.Method;
import java.util.Map;

/**
 * Disables, with a reason, the tests of an inherited LangChain4j suite that cannot apply to our model (some are
 * package-private there, so they cannot be overridden). The test class implements this and names them; register
 * {@link Condition} with {@code @ExtendWith}.
 */
interface NotApplicable {

    /** Suite test method name → why it cannot apply. */
    Map<String, String> notApplicable();

    /** The JUnit condition that reads {@link #notApplicable()}. */
    final class Condition implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String name = context.getTestMethod().map(Method::getName).orElse(null);
            if (name != null && context.getTestInstance().orElse(null) instanceof NotApplicable suite
                    && suite.notApplicable().containsKey(name)) {
                return ConditionEvaluationResult.disabled("not applicable to stories260K: "
                        + suite.notApplicable().get(name));
            }
            return ConditionEvaluationResult.enabled("applies");
        }
    }
}
