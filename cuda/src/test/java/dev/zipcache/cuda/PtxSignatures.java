package dev.zipcache.cuda;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The kernel entries of a PTX module and their parameter types, in order ({@code .u64}, {@code .u32}, ...). */
final class PtxSignatures {

    private static final Pattern ENTRY = Pattern.compile("\\.visible\\s+\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAMETER = Pattern.compile("\\.param\\s+(\\.\\w+)\\s+\\w+");

    private PtxSignatures() {
    }

    /** The entries of the committed {@code kernels.ptx} resource. */
    static Map<String, List<String>> committed() {
        byte[] ptx = JCudaDevice.ptx();
        return parse(new String(ptx, 0, ptx.length - 1, StandardCharsets.UTF_8));
    }

    static Map<String, List<String>> parse(String ptx) {
        Map<String, List<String>> entries = new LinkedHashMap<>();
        Matcher entry = ENTRY.matcher(ptx);
        while (entry.find()) {
            List<String> types = new ArrayList<>();
            Matcher parameter = PARAMETER.matcher(entry.group(2));
            while (parameter.find()) {
                types.add(parameter.group(1));
            }
            entries.put(entry.group(1), List.copyOf(types));
        }
        return entries;
    }
}
