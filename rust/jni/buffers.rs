//! The bytes between position and limit of a `ByteBuffer[]`, as slices the core can gather:
//! a direct buffer by its address (no copy), a heap buffer copied out of its array (as the JDK's
//! own `IOUtil.write` copies it into a temporary direct buffer). Raw JNI calls: one element at a
//! time, with the few fields read through IDs cached in `JNI_OnLoad`.

use std::io::IoSlice;

use jni::objects::JObjectArray;
use jni::sys::{jint, jlong, jobject, JNIEnv, JNINativeInterface_, JNI_OK};
use jni::Env;
use smallvec::SmallVec;

use super::{Fault, Ids};

/// Where one buffer's bytes are.
enum Span {
    /// A direct buffer's memory, kept alive by the local reference held until the native call
    /// returns (another thread replacing the array element cannot free it under the write).
    Direct(*const u8, usize),
    /// A range of [`Buffers::copies`].
    Copied(usize, usize),
}

/// The remaining bytes of a header and a trailer. A response's few buffers and a header of up to
/// 1 KiB are held without a heap allocation.
#[derive(Default)]
pub(super) struct Buffers {
    header: SmallVec<[Span; 4]>,
    trailer: SmallVec<[Span; 4]>,
    copies: SmallVec<[u8; 1024]>,
}

/// Slices of a header or trailer, for the core.
pub(super) type Slices<'a> = SmallVec<[IoSlice<'a>; 4]>;

impl Buffers {
    /// Reads both arrays (either may be null). A buffer whose position, limit or array says
    /// something a `ByteBuffer` never does is IllegalArgumentException, never a wild read.
    pub(super) fn read(
        env: &mut Env,
        ids: &Ids,
        header: &JObjectArray,
        trailer: &JObjectArray,
    ) -> Result<Buffers, Fault> {
        let mut buffers = Buffers::default();
        let raw = Raw::new(env);
        let counts = (raw.len(header.as_raw()), raw.len(trailer.as_raw()));
        // Each direct buffer keeps its local reference until the call returns.
        raw.ensure_capacity(counts.0 + counts.1 + 4)?;
        for i in 0..counts.0 {
            let span = buffers.element(&raw, ids, header.as_raw(), i)?;
            buffers.header.extend(span);
        }
        for i in 0..counts.1 {
            let span = buffers.element(&raw, ids, trailer.as_raw(), i)?;
            buffers.trailer.extend(span);
        }
        Ok(buffers)
    }

    fn element(
        &mut self,
        raw: &Raw,
        ids: &Ids,
        array: jobject,
        index: jint,
    ) -> Result<Option<Span>, Fault> {
        let buffer = raw.element(array, index)?;
        let position = raw.int_field(buffer, ids.buffer_position.into_raw());
        let limit = raw.int_field(buffer, ids.buffer_limit.into_raw());
        if position < 0 || position > limit {
            return Err(Fault::IllegalArgument);
        }
        let len = (limit - position) as usize;
        if len == 0 {
            raw.delete(buffer);
            return Ok(None);
        }
        if let Some((address, capacity)) = raw.direct(buffer) {
            if i64::from(limit) > capacity {
                return Err(Fault::IllegalArgument);
            }
            // SAFETY: `position < limit <= capacity`, so the range lies in the buffer's memory.
            let start = unsafe { address.add(position as usize) };
            return Ok(Some(Span::Direct(start, len)));
        }
        let array = raw.object_field(buffer, ids.heap_array.into_raw());
        if array.is_null() {
            return Err(Fault::IllegalArgument);
        }
        let offset = raw.int_field(buffer, ids.heap_offset.into_raw());
        let start = self.copies.len();
        self.copies.reserve(len);
        let from = offset.checked_add(position).ok_or(Fault::IllegalArgument)?;
        raw.copy_region(array, from, len, &mut self.copies)?;
        raw.delete(array);
        raw.delete(buffer);
        Ok(Some(Span::Copied(start, len)))
    }

    /// The header's and the trailer's slices, valid while `self` and the native call live.
    pub(super) fn slices(&self) -> (Slices<'_>, Slices<'_>) {
        let slice = |span: &Span| match *span {
            // SAFETY: the direct buffer's memory stays allocated while its local reference is
            // held (until the native call returns); the kernel only reads it.
            Span::Direct(start, len) => {
                IoSlice::new(unsafe { std::slice::from_raw_parts(start, len) })
            }
            Span::Copied(start, len) => IoSlice::new(&self.copies[start..start + len]),
        };
        (
            self.header.iter().map(slice).collect(),
            self.trailer.iter().map(slice).collect(),
        )
    }
}

/// The JNI function table of the current thread's environment.
pub(super) struct Raw {
    env: *mut JNIEnv,
    table: *const JNINativeInterface_,
}

// SAFETY (for every method): `env` is the calling thread's valid JNIEnv for the duration of the
// native method, `table` its function table, and each function is called with references and IDs
// of the types it takes (the field IDs belong to java.nio.Buffer and java.nio.ByteBuffer, and the
// objects are elements of a ByteBuffer[] array).
#[allow(unsafe_code)]
impl Raw {
    fn new(env: &mut Env) -> Raw {
        Raw::from_raw(env.get_raw())
    }

    /// The calling thread's environment, as the JVM passed it to the native method.
    pub(super) fn from_raw(env: *mut JNIEnv) -> Raw {
        // SAFETY: see the impl.
        Raw {
            env,
            table: unsafe { *env },
        }
    }

    fn pending(&self) -> bool {
        // SAFETY: see the impl.
        unsafe { ((*self.table).v1_4.ExceptionCheck)(self.env) }
    }

    fn len(&self, array: jobject) -> jint {
        if array.is_null() {
            return 0;
        }
        // SAFETY: see the impl; `array` is a non-null array reference.
        unsafe { ((*self.table).v1_4.GetArrayLength)(self.env, array) }
    }

    fn ensure_capacity(&self, count: jint) -> Result<(), Fault> {
        // SAFETY: see the impl.
        match unsafe { ((*self.table).v1_4.EnsureLocalCapacity)(self.env, count) } {
            JNI_OK => Ok(()),
            _ => Err(Fault::JavaPending), // OutOfMemoryError is pending
        }
    }

    fn element(&self, array: jobject, index: jint) -> Result<jobject, Fault> {
        // SAFETY: see the impl; `index` is below the array's length.
        let element = unsafe { ((*self.table).v1_4.GetObjectArrayElement)(self.env, array, index) };
        if self.pending() {
            return Err(Fault::JavaPending);
        }
        if element.is_null() {
            // The Java side rejects null elements first (NullPointerException).
            return Err(Fault::IllegalArgument);
        }
        Ok(element)
    }

    fn int_field(&self, object: jobject, field: jni::sys::jfieldID) -> jint {
        // SAFETY: see the impl.
        unsafe { ((*self.table).v1_4.GetIntField)(self.env, object, field) }
    }

    fn object_field(&self, object: jobject, field: jni::sys::jfieldID) -> jobject {
        // SAFETY: see the impl.
        unsafe { ((*self.table).v1_4.GetObjectField)(self.env, object, field) }
    }

    /// A direct buffer's address and capacity; `None` for a heap buffer.
    pub(super) fn direct(&self, buffer: jobject) -> Option<(*const u8, i64)> {
        if buffer.is_null() {
            return None; // HotSpot's GetDirectBufferAddress would read a field of null
        }
        // SAFETY: see the impl. NULL for a buffer that is not direct.
        let address = unsafe { ((*self.table).v1_4.GetDirectBufferAddress)(self.env, buffer) };
        if address.is_null() {
            return None;
        }
        // SAFETY: see the impl.
        let capacity = unsafe { ((*self.table).v1_4.GetDirectBufferCapacity)(self.env, buffer) };
        Some((address.cast::<u8>().cast_const(), capacity))
    }

    /// Appends `len` bytes of the byte array from index `from` to `out`; a range outside the
    /// array is ArrayIndexOutOfBoundsException (pending), as JNI checks it.
    fn copy_region(
        &self,
        array: jobject,
        from: jint,
        len: usize,
        out: &mut SmallVec<[u8; 1024]>,
    ) -> Result<(), Fault> {
        let count = jint::try_from(len).map_err(|_| Fault::IllegalArgument)?;
        let start = out.len();
        debug_assert!(out.capacity() - start >= len);
        // SAFETY: see the impl; `out` has room for `len` more bytes (reserved by the caller).
        unsafe {
            ((*self.table).v1_4.GetByteArrayRegion)(
                self.env,
                array,
                from,
                count,
                out.as_mut_ptr().add(start).cast(),
            );
        }
        if self.pending() {
            return Err(Fault::JavaPending);
        }
        // SAFETY: GetByteArrayRegion wrote all `len` bytes (no exception is pending).
        unsafe { out.set_len(start + len) };
        Ok(())
    }

    /// Writes `values` at the start of a `long[]` (nothing for a null array); an array shorter
    /// than `values` is ArrayIndexOutOfBoundsException (pending), as JNI checks it.
    pub(super) fn set_long_region(&self, array: jobject, values: &[jlong]) -> Result<(), Fault> {
        if array.is_null() {
            return Ok(());
        }
        let count = jint::try_from(values.len()).map_err(|_| Fault::IllegalArgument)?;
        // SAFETY: see the impl; `array` is a long[] (the native method's declared type), and
        // `values` is readable for `count` longs.
        unsafe {
            ((*self.table).v1_4.SetLongArrayRegion)(self.env, array, 0, count, values.as_ptr())
        };
        if self.pending() {
            return Err(Fault::JavaPending);
        }
        Ok(())
    }

    fn delete(&self, object: jobject) {
        // SAFETY: see the impl; `object` is a local reference not used again.
        unsafe { ((*self.table).v1_4.DeleteLocalRef)(self.env, object) }
    }
}
