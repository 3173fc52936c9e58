package dev.zipcache.cuda;

/** One parameter of a kernel launch, typed as the PTX entry declares it ({@code .u64}, {@code .u32}, {@code .f32}). */
sealed interface KernelArgument {

    /** The PTX parameter type this argument fills. */
    String ptxType();

    /** A device address ({@code .u64}). */
    record Address(DevicePointer pointer) implements KernelArgument {
        @Override
        public String ptxType() {
            return ".u64";
        }
    }

    /** A C {@code int} ({@code .u32}). */
    record Int(int value) implements KernelArgument {
        @Override
        public String ptxType() {
            return ".u32";
        }
    }

    /** A C {@code float} ({@code .f32}). */
    record Float(float value) implements KernelArgument {
        @Override
        public String ptxType() {
            return ".f32";
        }
    }
}
