package dev.zipcache.server;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the model is loaded (it loads at start-up), with what is being served. */
@Readiness
@ApplicationScoped
public class ModelReadiness implements HealthCheck {

    private final ServedModel served;

    public ModelReadiness(ServedModel served) {
        this.served = served;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model").up()
                .withData("id", served.id())
                .withData("context_length", served.contextLength())
                .withData("kv_cache", served.config().kvCache())
                .withData("sessions_active", served.pool().active())
                .withData("sessions_waiting", served.pool().waiting())
                .build();
    }
}
