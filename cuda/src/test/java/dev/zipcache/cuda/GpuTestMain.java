package dev.zipcache.cuda;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

/**
 * Runs this module's tests where there is no Maven (the GPU machine of {@code gpu/check.sh}): every test of the
 * package, a line per test, and a JSON summary written to the file given as the first argument. Exit status 1 when a
 * test failed.
 */
public final class GpuTestMain {

    private GpuTestMain() {
    }

    public static void main(String[] args) throws IOException {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage("dev.zipcache.cuda")).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener lines = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier test, String reason) {
                System.out.println("SKIPPED " + test.getDisplayName() + ": " + reason);
            }

            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (!test.isTest()) {
                    return;
                }
                String name = test.getUniqueId().replaceAll(".*class:dev\\.zipcache\\.cuda\\.", "")
                        .replaceAll("\\]/\\[[a-z-]+:", ".").replace("]", "");
                String reason = result.getThrowable().map(failure -> ": " + failure.toString()
                        .lines().findFirst().orElse("")).orElse("");
                System.out.println(result.getStatus() + " " + name + reason);
            }
        };
        launcher.execute(request, summary, lines);
        TestExecutionSummary result = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        result.printTo(out);
        result.printFailuresTo(out, 30);
        if (args.length > 0) {
            Files.writeString(Path.of(args[0]), String.format(
                    "{\"tests\": %d, \"succeeded\": %d, \"failed\": %d, \"aborted\": %d, \"skipped\": %d}%n",
                    result.getTestsFoundCount(), result.getTestsSucceededCount(), result.getTestsFailedCount(),
                    result.getTestsAbortedCount(), result.getTestsSkippedCount()));
        }
        System.exit(result.getTotalFailureCount() > 0 ? 1 : 0);
    }
}
