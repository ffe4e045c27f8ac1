# Builds the README's training script and CMake project against an installed tapegrad, as a user
# would, with no flags and again with -march=native, and runs it and arrays.cpp each time.
#   cmake -DBUILD_DIR=<tapegrad build> -DREADME=<README.md> -DCONSUMER_DIR=<this folder>
#         -DWORK_DIR=<scratch> -P run.cmake
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed")
endif()

# The README's code blocks, verbatim: the first ```cpp block after "## A training script" and the
# ```cmake block after "## In your own CMake project".
file(READ ${README} readme)
function(readme_block heading language out)
  string(FIND "${readme}" "${heading}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md has no heading '${heading}'")
  endif()
  string(SUBSTRING "${readme}" ${at} -1 rest)
  if(NOT rest MATCHES "```${language}\n(.*)")
    message(FATAL_ERROR "no ```${language} block after '${heading}' in README.md")
  endif()
  set(rest "${CMAKE_MATCH_1}")
  string(FIND "${rest}" "```" end)
  string(SUBSTRING "${rest}" 0 ${end} block)
  set(${out} "${block}" PARENT_SCOPE)
endfunction()
readme_block("## A training script" cpp script)
readme_block("## In your own CMake project" cmake project)
file(WRITE ${WORK_DIR}/src/train.cpp "${script}")
file(WRITE ${WORK_DIR}/src/CMakeLists.txt "${project}
# Added by tests/consumer: arrays the user's program builds itself.
add_executable(arrays arrays.cpp)
target_link_libraries(arrays PRIVATE tapegrad::tapegrad)
# Added by tests/consumer: must not compile (xtensor included before tapegrad); built on its own.
add_executable(include_order EXCLUDE_FROM_ALL include_order.cpp)
target_link_libraries(include_order PRIVATE tapegrad::tapegrad)
")
file(COPY ${CONSUMER_DIR}/arrays.cpp ${CONSUMER_DIR}/include_order.cpp DESTINATION ${WORK_DIR}/src)
# The data-parallel program of "## Data-parallel training (MPI)", where the installed tapegrad has
# tapegrad::distributed (built with MPI): compiled against it as a user would, not run (mpirun).
if(EXISTS ${WORK_DIR}/prefix/include/tapegrad/distributed)
  readme_block("## Data-parallel training (MPI)" cpp data_parallel)
  file(WRITE ${WORK_DIR}/src/train_dp.cpp "${data_parallel}")
  file(APPEND ${WORK_DIR}/src/CMakeLists.txt "add_executable(train_dp train_dp.cpp)
target_link_libraries(train_dp PRIVATE tapegrad::distributed)
")
endif()

foreach(variant plain native)
  set(flags "")
  if(variant STREQUAL native)
    set(flags "-march=native")
  endif()
  set(build ${WORK_DIR}/build-${variant})
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${WORK_DIR}/src -B ${build} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
    "-DCMAKE_CXX_FLAGS=${flags}" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "configuring the consumer (${variant}) failed")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "building the consumer (${variant}) failed")
  endif()
  execute_process(COMMAND ${build}/arrays RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "arrays (${variant}) failed: ${rc}")
  endif()
  execute_process(COMMAND ${build}/train WORKING_DIRECTORY ${build} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  message(STATUS "train (${variant}): ${out}")
  if(rc OR NOT out MATCHES "loss: ([0-9.e+-]+) -> ([0-9.e+-]+)")
    message(FATAL_ERROR "the README's training script (${variant}) failed: ${rc} ${out}")
  endif()
  # The next id is a function of the current one, so the loss must fall from ln 10 = 2.3 to near
  # 0: a script that trains nothing, or wrongly, fails here (CMake compares the numbers as doubles).
  if(NOT CMAKE_MATCH_1 GREATER 2 OR NOT CMAKE_MATCH_2 LESS 0.5)
    message(FATAL_ERROR "the README's training script (${variant}) did not lower the loss: ${out}")
  endif()
  if(NOT EXISTS ${build}/char_model.npz)
    message(FATAL_ERROR "the README's training script (${variant}) saved no char_model.npz")
  endif()
endforeach()

# Including xtensor before tapegrad stops the build with a message that says what to do.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build-plain --target include_order
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc OR NOT out MATCHES "include tapegrad's headers before any xtensor header")
  message(FATAL_ERROR "xtensor included before tapegrad did not stop at tapegrad's static_assert: ${rc}\n${out}")
endif()
