/* PDFium's per-character text calls mapped over many characters in one call from Python.
 *
 * pypdfium2 offers these functions one character at a time; through ctypes each call costs
 * about half a microsecond of Python, more than PDFium's own work. The functions come by
 * address from pypdfium2's own binding, so nothing here links against PDFium; the GIL stays held
 * through each loop (PDFium is not thread-safe). Optional:
 * policyscan.pdf.pdfium makes the same calls through ctypes when this module is not built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef int (*rect_fn)(void *text_page, int index, float *rect);
typedef float (*float_fn)(void *text_page, int index);
typedef int (*int_fn)(void *text_page, int index);
typedef void *(*pointer_fn)(void *text_page, int index);

enum kind { RECTS, FLOATS, INTS, POINTERS };

/* Parses (function, text_page, indices, out), checks that indices are int32 and that out holds
 * `width` bytes per index, and calls the function for every index. */
static PyObject *
map_calls(PyObject *args, enum kind kind, Py_ssize_t width)
{
    unsigned long long function, page;
    Py_buffer indices, out;
    if (!PyArg_ParseTuple(args, "KKy*w*", &function, &page, &indices, &out))
        return NULL;
    Py_ssize_t n = indices.len / 4;
    if (indices.itemsize != 4 || indices.len % 4 != 0 || !PyBuffer_IsContiguous(&indices, 'C')) {
        PyErr_SetString(PyExc_ValueError, "indices must be a contiguous int32 array");
    } else if (out.len < n * width || !PyBuffer_IsContiguous(&out, 'C')) {
        PyErr_Format(PyExc_ValueError, "out must be contiguous and hold %zd bytes per index", width);
    } else {
        void *text_page = (void *)(uintptr_t)page;
        const int32_t *at = (const int32_t *)indices.buf;
        if (kind == RECTS) {
            rect_fn call = (rect_fn)(uintptr_t)function;
            float *rects = (float *)out.buf;
            for (Py_ssize_t i = 0; i < n; i++)
                call(text_page, at[i], rects + 4 * i);
        } else if (kind == FLOATS) {
            float_fn call = (float_fn)(uintptr_t)function;
            float *values = (float *)out.buf;
            for (Py_ssize_t i = 0; i < n; i++)
                values[i] = call(text_page, at[i]);
        } else if (kind == INTS) {
            int_fn call = (int_fn)(uintptr_t)function;
            int32_t *values = (int32_t *)out.buf;
            for (Py_ssize_t i = 0; i < n; i++)
                values[i] = call(text_page, at[i]);
        } else {
            pointer_fn call = (pointer_fn)(uintptr_t)function;
            uint64_t *values = (uint64_t *)out.buf;
            for (Py_ssize_t i = 0; i < n; i++)
                values[i] = (uint64_t)(uintptr_t)call(text_page, at[i]);
        }
    }
    PyBuffer_Release(&indices);
    PyBuffer_Release(&out);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
rects(PyObject *self, PyObject *args)
{
    (void)self;
    return map_calls(args, RECTS, 16);
}

static PyObject *
floats(PyObject *self, PyObject *args)
{
    (void)self;
    return map_calls(args, FLOATS, 4);
}

static PyObject *
ints(PyObject *self, PyObject *args)
{
    (void)self;
    return map_calls(args, INTS, 4);
}

static PyObject *
pointers(PyObject *self, PyObject *args)
{
    (void)self;
    return map_calls(args, POINTERS, 8);
}

static PyMethodDef methods[] = {
    {"rects", rects, METH_VARARGS,
     "rects(function, text_page, indices, out): int function(text_page, index, FS_RECTF*) for each int32 index, into rows of four float32."},
    {"floats", floats, METH_VARARGS,
     "floats(function, text_page, indices, out): float function(text_page, index) for each int32 index, into a float32 array."},
    {"ints", ints, METH_VARARGS,
     "ints(function, text_page, indices, out): int function(text_page, index) for each int32 index, into an int32 array."},
    {"pointers", pointers, METH_VARARGS,
     "pointers(function, text_page, indices, out): void *function(text_page, index) for each int32 index, into a uint64 array (0 for NULL)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "native", "PDFium's per-character text calls over many characters in one call.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_native(void)
{
    return PyModule_Create(&module);
}
