package dev.zipcache.cuda;

import dev.zipcache.engine.compute.DeviceUnavailableException;
import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * GPU 0 through JCuda's driver API (STACK.md: the driver API needs only {@code libcuda.so.1}; no NVRTC, no runtime
 * API). It uses the device's primary context, made current on every call, so any thread may use it; calls are
 * serialized. Kernels come from the PTX resource {@code kernels.ptx}, which the driver JIT-compiles for the GPU.
 */
final class JCudaDevice implements Device {

    /** The PTX module, compiled from {@code src/main/cuda/kernels.cu}. */
    static final String PTX_RESOURCE = "kernels.ptx";

    private final CUdevice device;
    private final CUcontext context;
    private final CUmodule module;
    private final String description;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final Map<Long, CUdeviceptr> allocations = new HashMap<>();
    private final AtomicLong nextAllocation = new AtomicLong(1);
    private boolean closed;

    private JCudaDevice(CUdevice device, CUcontext context, CUmodule module, String description) {
        this.device = device;
        this.context = context;
        this.module = module;
        this.description = description;
    }

    /**
     * Initializes the driver and opens GPU 0.
     *
     * @throws DeviceUnavailableException without a driver ({@code libcuda.so.1}), without a GPU, or when the driver
     *                                    cannot load the PTX
     */
    static JCudaDevice open() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError missing) {
            throw new DeviceUnavailableException("CUDA is not available: the NVIDIA driver could not be loaded ("
                    + driverProblem(missing.getMessage()) + "); use --device cpu", missing);
        } catch (CudaException failure) {
            throw new DeviceUnavailableException("CUDA is not available: cuInit failed (" + failure.getMessage()
                    + "); use --device cpu", failure);
        }
        try {
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] == 0) {
                throw new DeviceUnavailableException("CUDA is not available: the driver sees no GPU; use --device cpu");
            }
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, 0);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, device);
            int[] major = new int[1];
            int[] minor = new int[1];
            JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                    device);
            JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                    device);
            if (major[0] < 8) {
                throw new DeviceUnavailableException("CUDA device " + cString(name) + " has compute capability "
                        + major[0] + "." + minor[0] + "; the kernels need 8.0 or newer; use --device cpu");
            }
            CUcontext context = new CUcontext();
            JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
            JCudaDriver.cuCtxSetCurrent(context);
            CUmodule module = new CUmodule();
            try {
                JCudaDriver.cuModuleLoadData(module, ptx());
            } catch (CudaException failure) {
                JCudaDriver.cuDevicePrimaryCtxRelease(device);
                throw new DeviceUnavailableException("the CUDA driver cannot load the kernels' PTX ("
                        + failure.getMessage() + "); it needs a driver for CUDA 13 or newer; use --device cpu",
                        failure);
            }
            long[] free = new long[1];
            long[] total = new long[1];
            JCudaDriver.cuMemGetInfo(free, total);
            String description = cString(name) + " (compute " + major[0] + "." + minor[0] + ", "
                    + total[0] / (1L << 20) + " MiB)";
            return new JCudaDevice(device, context, module, description);
        } catch (CudaException failure) {
            throw new DeviceUnavailableException("CUDA is not available: " + failure.getMessage()
                    + "; use --device cpu", failure);
        }
    }

    /** The PTX text, NUL-terminated as cuModuleLoadData wants it. */
    static byte[] ptx() {
        try (InputStream in = JCudaDevice.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the resource " + PTX_RESOURCE + " is missing from the jar");
            }
            byte[] text = in.readAllBytes();
            byte[] terminated = new byte[text.length + 1];
            System.arraycopy(text, 0, terminated, 0, text.length);
            return terminated;
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public synchronized DevicePointer allocate(long bytes) {
        current();
        CUdeviceptr pointer = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(pointer, Math.max(bytes, 1));
        long id = nextAllocation.getAndIncrement();
        allocations.put(id, pointer);
        return new DevicePointer(id, 0);
    }

    @Override
    public synchronized void free(DevicePointer allocation) {
        CUdeviceptr pointer = allocations.remove(allocation.allocation());
        if (pointer != null && !closed) {
            current();
            JCudaDriver.cuMemFree(pointer);
        }
    }

    /** Bytes per staged copy of {@link #upload(DevicePointer, ByteBuffer)}. */
    private static final int UPLOAD_CHUNK = 64 << 20;

    /**
     * Copies through a heap array, chunk by chunk, so that any buffer works alike: a read-only view of the mapped
     * model file, or a heap buffer at any position.
     */
    @Override
    public synchronized void upload(DevicePointer target, ByteBuffer source) {
        current();
        ByteBuffer remaining = source.duplicate();
        byte[] chunk = new byte[Math.min(UPLOAD_CHUNK, Math.max(1, remaining.remaining()))];
        long done = 0;
        while (remaining.hasRemaining()) {
            int length = Math.min(chunk.length, remaining.remaining());
            remaining.get(chunk, 0, length);
            JCudaDriver.cuMemcpyHtoD(address(target.plus(done)), Pointer.to(chunk), length);
            done += length;
        }
    }

    @Override
    public synchronized void upload(DevicePointer target, float[] source, int count) {
        current();
        JCudaDriver.cuMemcpyHtoD(address(target), Pointer.to(source), (long) count * Float.BYTES);
    }

    @Override
    public synchronized void upload(DevicePointer target, int[] source, int count) {
        current();
        JCudaDriver.cuMemcpyHtoD(address(target), Pointer.to(source), (long) count * Integer.BYTES);
    }

    @Override
    public synchronized void download(DevicePointer source, float[] target, int targetOffset, int count) {
        current();
        // Synchronous on the default stream: it waits for every launch before it.
        JCudaDriver.cuMemcpyDtoH(Pointer.to(target).withByteOffset((long) targetOffset * Float.BYTES),
                address(source), (long) count * Float.BYTES);
    }

    @Override
    public synchronized void launch(Launch launch) {
        current();
        CUfunction function = functions.computeIfAbsent(launch.kernel(), name -> {
            CUfunction found = new CUfunction();
            JCudaDriver.cuModuleGetFunction(found, module, name);
            return found;
        });
        NativePointerObject[] parameters = new NativePointerObject[launch.arguments().size()];
        for (int i = 0; i < parameters.length; i++) {
            parameters[i] = switch (launch.arguments().get(i)) {
                case KernelArgument.Address(DevicePointer pointer) -> Pointer.to(address(pointer));
                case KernelArgument.Int(int value) -> Pointer.to(new int[] {value});
                case KernelArgument.Float(float value) -> Pointer.to(new float[] {value});
            };
        }
        JCudaDriver.cuLaunchKernel(function, launch.gridX(), launch.gridY(), launch.gridZ(), launch.blockX(),
                launch.blockY(), 1,
                0, null, Pointer.to(parameters), null);
    }

    @Override
    public synchronized long usedMemory() {
        current();
        long[] free = new long[1];
        long[] total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return total[0] - free[0];
    }

    /** Waits for every queued launch; a kernel fault surfaces here as a {@link CudaException}. */
    synchronized void synchronize() {
        current();
        JCudaDriver.cuCtxSynchronize();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        current();
        for (CUdeviceptr pointer : allocations.values()) {
            JCudaDriver.cuMemFree(pointer);
        }
        allocations.clear();
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
        closed = true;
    }

    private void current() {
        if (closed) {
            throw new IllegalStateException("the CUDA device is closed");
        }
        JCudaDriver.cuCtxSetCurrent(context);
    }

    private CUdeviceptr address(DevicePointer pointer) {
        if (pointer.allocation() == 0) {
            return new CUdeviceptr();
        }
        CUdeviceptr base = allocations.get(pointer.allocation());
        if (base == null) {
            throw new IllegalArgumentException("device allocation " + pointer.allocation() + " is not live");
        }
        return pointer.offset() == 0 ? base : base.withByteOffset(pointer.offset());
    }

    private static String cString(byte[] bytes) {
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /**
     * The line of JCuda's long loader report that names the missing driver library ({@code libcuda.so.1: cannot open
     * shared object file}), else its first line.
     */
    static String driverProblem(String message) {
        if (message == null) {
            return "libcuda.so.1 not found";
        }
        for (String line : message.lines().toList()) {
            int at = line.indexOf("libcuda");
            if (at >= 0) {
                return line.substring(at).strip();
            }
        }
        return message.lines().findFirst().orElse(message).strip();
    }
}
