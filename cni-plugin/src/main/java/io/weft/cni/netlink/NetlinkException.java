package io.weft.cni.netlink;

/** A request the kernel refused (or a socket it would not give): what was asked, errno, the kernel's own words. */
public final class NetlinkException extends RuntimeException {
    public static final int ENOENT = 2;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;

    private final int errno;

    NetlinkException(String what, int errno, String kernelMessage) {
        super(what + ": " + Native.strerror(errno) + (kernelMessage == null ? "" : " (" + kernelMessage + ")"));
        this.errno = errno;
    }

    /** No kernel answer behind it: the JNI library is missing or a reply made no sense. */
    NetlinkException(String message) {
        super(message);
        this.errno = 0;
    }

    public int errno() {
        return errno;
    }
}
