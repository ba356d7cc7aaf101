/*
 * The few system calls the weft CNI plugin cannot make from Java without starting a process: a netlink socket
 * (rtnetlink, or nfnetlink for nftables) inside any network namespace, flock(2) on host-local's lock file, and the
 * bytes in and out of that socket. JNI rather than the FFM API: a downcall stub costs a cold JVM milliseconds to build, a JNI
 * method is bound by a symbol lookup. Every message is built and parsed in Java (io.weft.cni.netlink).
 * Errors come back as -errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define RECV_MAX 65536

static int open_path(JNIEnv *env, jstring path, int flags, int mode) {
    const char *p = (*env)->GetStringUTFChars(env, path, NULL);
    if (p == NULL) return -ENOMEM;
    int fd;
    do fd = open(p, flags | O_CLOEXEC, mode); while (fd < 0 && errno == EINTR);
    int err = errno;
    (*env)->ReleaseStringUTFChars(env, path, p);
    return fd < 0 ? -err : fd;
}

static int netlink_socket(int protocol) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) return -errno;
    int on = 1;
    /* extended acks carry the kernel's own words for a refusal; capped acks leave our request out of them */
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

/*
 * A socket belongs to the namespace it was made in, so the calling thread enters the pod's namespace for the
 * socket() call only and comes back. setns(CLONE_NEWNET) is per thread and allowed in a multi-threaded process.
 */
JNIEXPORT jint JNICALL Java_io_weft_cni_netlink_Native_socket(JNIEnv *env, jclass cls, jstring netns, jint protocol) {
    if (netns == NULL) return netlink_socket(protocol);
    int target = open_path(env, netns, O_RDONLY, 0);
    if (target < 0) return target;
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        int err = errno;
        close(target);
        return -err;
    }
    if (setns(target, CLONE_NEWNET) < 0) {
        int err = errno;
        close(target);
        close(self);
        return -err;
    }
    int fd = netlink_socket(protocol);
    /* a thread left in the pod's namespace would make every later socket there: better no process at all */
    if (setns(self, CLONE_NEWNET) < 0) (*env)->FatalError(env, "weft: cannot return to the node's network namespace");
    close(self);
    close(target);
    return fd;
}

JNIEXPORT jint JNICALL Java_io_weft_cni_netlink_Native_open(JNIEnv *env, jclass cls, jstring path, jint flags, jint mode) {
    return open_path(env, path, flags, mode);
}

JNIEXPORT jint JNICALL Java_io_weft_cni_netlink_Native_flock(JNIEnv *env, jclass cls, jint fd, jint op) {
    int r;
    do r = flock(fd, op); while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

JNIEXPORT jint JNICALL Java_io_weft_cni_netlink_Native_close(JNIEnv *env, jclass cls, jint fd) {
    return close(fd) < 0 ? -errno : 0;
}

JNIEXPORT jint JNICALL Java_io_weft_cni_netlink_Native_send(JNIEnv *env, jclass cls, jint fd, jbyteArray buf, jint len) {
    jbyte *b = (*env)->GetPrimitiveArrayCritical(env, buf, NULL);
    if (b == NULL) return -ENOMEM;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t n;
    do n = sendto(fd, b, (size_t) len, 0, (struct sockaddr *) &kernel, sizeof kernel); while (n < 0 && errno == EINTR);
    int err = errno;
    (*env)->ReleasePrimitiveArrayCritical(env, buf, b, JNI_ABORT);
    return n < 0 ? -err : (jint) n;
}

/*
 * Blocks until the kernel answers (every request that asks for an ack is answered), or with MSG_DONTWAIT drains
 * what is queued: the kernel handles a request within the sender's sendto(), so its answers are all there by then.
 */
JNIEXPORT jint JNICALL Java_io_weft_cni_netlink_Native_recv(JNIEnv *env, jclass cls, jint fd, jbyteArray buf, jint flags) {
    jsize cap = (*env)->GetArrayLength(env, buf);
    if (cap > RECV_MAX) cap = RECV_MAX;
    jbyte *b = (*env)->GetPrimitiveArrayCritical(env, buf, NULL);
    if (b == NULL) return -ENOMEM;
    ssize_t n;
    do n = recv(fd, b, (size_t) cap, flags); while (n < 0 && errno == EINTR);
    int err = errno;
    (*env)->ReleasePrimitiveArrayCritical(env, buf, b, 0);
    return n < 0 ? -err : (jint) n;
}

JNIEXPORT jstring JNICALL Java_io_weft_cni_netlink_Native_strerror(JNIEnv *env, jclass cls, jint err) {
    char msg[128];
    const char *s = strerror_r(err, msg, sizeof msg); /* GNU strerror_r: returns the string to use */
    return (*env)->NewStringUTF(env, s);
}
